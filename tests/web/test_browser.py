"""In a real browser (Debian's Chromium, driven by Playwright): an employer asks in the web chat,
hands the question over, a coordinator logs in, claims and answers, and the answer appears in
the employer's page. Screenshots of the main pages go to a temporary folder, or to the folder
LOTSE_SCREENSHOTS names (`LOTSE_SCREENSHOTS=docs/screenshots` refreshes the documentation's).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from bot.texts import t

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(os.environ.get("LOTSE_SCREENSHOTS") or tempfile.mkdtemp(prefix="lotse-screenshots-"))
MOBILE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 860}


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium; installed with apt when missing (never a browser download)."""
    if not CHROMIUM.exists():
        if shutil.which("apt-get") is None or os.geteuid() != 0:
            pytest.fail("the browser tests need Debian's chromium: run `apt-get install -y chromium` as root")
        subprocess.run(
            ["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=900,
        )
    return CHROMIUM


@pytest.fixture
async def browser(chromium):
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(chromium), args=ARGS)
        yield browser
        await browser.close()


@pytest.fixture
def web_config(web_config):
    return web_config.model_copy(update={"web": web_config.web.model_copy(update={"chat_poll_seconds": 1})})


async def shot(page, name: str, full: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)


async def press(page, label: str) -> None:
    """Press the last button with this label in the chat (the newest message's)."""
    await page.get_by_role("button", name=label, exact=True).last.click()


async def ask(page, text: str) -> None:
    await page.get_by_label("Ihre Frage").fill(text)
    await page.get_by_role("button", name="Senden").click()


async def test_employer_hands_over_and_gets_the_coordinators_answer(server, browser):
    employer = await browser.new_context(viewport=MOBILE, locale="de-DE", device_scale_factor=1)
    chat = await employer.new_page()
    await chat.goto(f"{server.url}/chat/")
    await chat.get_by_text("Guten Tag!").wait_for()

    await ask(chat, "Darf jemand mit Duldung bei uns arbeiten?")
    await chat.locator(".bubble .title").first.wait_for()
    await press(chat, "👍")
    await chat.get_by_text("Danke").last.wait_for()

    question = "Ich brauche jemanden von der Ausländerbehörde für den Einzelfall meines Mitarbeiters <b>Ali</b>"
    await ask(chat, question)
    offer = chat.get_by_role("button", name=t("ho_yes", "de"))
    person = chat.get_by_role("button", name=t("ask_person", "de"), exact=True)
    await offer.or_(person).last.wait_for()
    if not await offer.count():
        await person.last.click()
    await press(chat, t("ho_yes", "de"))
    await chat.get_by_text(t("ho_ask_company", "de")).wait_for()
    await ask(chat, "Bäckerei Muster GmbH")
    await press(chat, t("ho_contact_chat", "de"))
    await press(chat, t("ho_consent_yes", "de"))
    await chat.get_by_text("Ticket #1").last.wait_for()
    # The question's HTML is shown as text: no <b> element was made from it.
    assert await chat.get_by_text("<b>Ali</b>", exact=False).count() >= 1
    assert await chat.locator(".log b").count() == 0
    await shot(chat, "chat-mobile", full=False)

    staff = await browser.new_context(viewport=DESKTOP, locale="de-DE")
    console = await staff.new_page()
    await console.goto(f"{server.url}/console/queue")
    await console.get_by_label("Benutzername").wait_for()  # not logged in: the log-in page
    await shot(console, "console-login", full=False)
    await console.get_by_label("Benutzername").fill("anna")
    await console.get_by_label("Passwort").fill("correct horse battery")
    await console.get_by_role("button", name="Anmelden").click()
    await console.get_by_role("heading", name="Warteschlange").wait_for()
    await shot(console, "console-queue")
    await console.get_by_role("link", name="#1", exact=True).click()
    await console.get_by_role("button", name="Übernehmen").click()
    await console.get_by_text("Erledigt.").wait_for()
    await console.get_by_label("Ihre Antwort an den Arbeitgeber").fill(
        "Guten Tag, bitte schicken Sie uns eine Kopie der Duldung. Wir melden uns dann."
    )
    await console.get_by_role("button", name="Antwort senden").click()
    await console.get_by_text("Erledigt.").wait_for()
    await shot(console, "console-ticket")

    await chat.get_by_text("bitte schicken Sie uns eine Kopie der Duldung").wait_for(timeout=15000)
    await chat.locator(".bubble.team").last.scroll_into_view_if_needed()
    await shot(chat, "chat-mobile-answer", full=False)

    await console.goto(f"{server.url}/console/stats")
    await console.locator("svg.chart").first.wait_for()
    await shot(console, "console-stats")
    phone = await staff.new_page()
    await phone.set_viewport_size(MOBILE)
    await phone.goto(f"{server.url}/console/queue?status=all")
    await shot(phone, "console-queue-mobile")
    await employer.close()
    await staff.close()
