"""In a real browser: a coordinator uploads a PDF on the ticket's page, and the employer's web chat
shows a download button that saves exactly that file (fetched with the chat's token)."""

from __future__ import annotations

import pytest

from tests.web.conftest import hand_over
from tests.web.test_browser import DESKTOP, MOBILE, browser, chromium, web_config  # noqa: F401
from tests.web.test_team_files import PDF, QUESTION

pytestmark = pytest.mark.browser


async def test_a_file_from_the_console_is_downloaded_in_the_web_chat(server, browser, client, tmp_path):  # noqa: F811
    employer = await browser.new_context(viewport=MOBILE, locale="de-DE", accept_downloads=True)
    chat = await employer.new_page()
    await chat.goto(f"{server.url}/chat/")
    await chat.get_by_text("Guten Tag!").wait_for()
    token = await chat.evaluate("localStorage.getItem('lotse-chat-token')")
    client.token = token  # the page's own chat, driven over HTTP for the hand-over steps
    ticket = await hand_over(client, QUESTION)

    staff = await browser.new_context(viewport=DESKTOP, locale="de-DE")
    console = await staff.new_page()
    await console.goto(f"{server.url}/console/login")
    await console.get_by_label("Benutzername").fill("anna")
    await console.get_by_label("Passwort").fill("correct horse battery")
    await console.get_by_role("button", name="Anmelden").click()
    await console.goto(f"{server.url}/console/tickets/{ticket}")
    pdf = tmp_path / "Checkliste.pdf"
    pdf.write_bytes(PDF)
    await console.get_by_label("Datei für den Arbeitgeber").set_input_files(str(pdf))
    await console.get_by_label("Ein paar Worte dazu (freiwillig)").fill("Bitte mitbringen.")
    await console.get_by_role("button", name="Datei senden").click()
    await console.get_by_text("Erledigt.").wait_for()

    button = chat.get_by_role("button", name="📎 Herunterladen: Checkliste.pdf (3 KB)")
    await button.wait_for(timeout=15000)
    async with chat.expect_download() as waiting:
        await button.click()
    download = await waiting.value
    assert download.suggested_filename == "Checkliste.pdf"
    assert (await download.path()).read_bytes() == PDF
    await employer.close()
    await staff.close()
