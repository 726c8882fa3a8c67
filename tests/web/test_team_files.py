"""Files from the team in the console: an upload on the ticket's page reaches the employer's web chat,
where only that chat can download it; a file over the limit or of a refused type gets a clear message."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from bot.config import TeamFiles
from tests.web.conftest import Browserless, hand_over

QUESTION = "Ich brauche eine Person von der Ausländerbehörde, die den Einzelfall meines Mitarbeiters prüft"
PDF = b"%PDF-1.4\n% Checkliste Einstellung\n" + b"1" * 3000 + b"\n%%EOF\n"


@pytest.fixture
def web_config(web_config):
    files = TeamFiles(max_megabytes=0.05)  # about 52 KB
    return web_config.model_copy(update={"tickets": web_config.tickets.model_copy(update={"files": files})})


def upload_form(csrf: str, name: str, data: bytes, text: str = "") -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("csrf", csrf)
    form.add_field("text", text)
    form.add_field("file", data, filename=name, content_type="application/octet-stream")
    return form


async def send(coordinator: Browserless, ticket: int, name: str, data: bytes, text: str = "") -> str:
    """Upload on the ticket's page; returns the page it leads back to (with the message shown)."""
    response = await coordinator.http.post(
        f"{coordinator.base}/console/tickets/{ticket}/file", data=upload_form(coordinator.csrf, name, data, text)
    )
    assert response.status == 200, await response.text()
    return await response.text()


async def team_messages(employer: Browserless, wanted: str) -> list[dict]:
    for _ in range(50):  # the outbox worker delivers within its poll interval
        team = [m for m in await employer.chat_messages() if m["role"] == "team"]
        if any(wanted in m.get("text", "") for m in team):
            return team
        await asyncio.sleep(0.1)
    raise AssertionError(f"no team message with {wanted!r}")


async def test_an_upload_reaches_the_web_chat_and_only_that_chat_can_download_it(client, server, anna):
    ticket = await hand_over(client, QUESTION)
    page = await (await anna.http.get(f"{server.url}/console/tickets/{ticket}")).text()
    assert 'enctype="multipart/form-data"' in page and "höchstens 0.05 MB" in page

    await send(anna, ticket, "Checkliste.pdf", PDF, "Bitte ausgefüllt mitbringen.")
    [shown] = [m for m in await team_messages(client, "Checkliste.pdf") if "file" in m]
    assert "Bitte ausgefüllt mitbringen." in shown["text"] and "— Ausländerbehörde" in shown["text"]
    assert shown["file"]["name"] == "Checkliste.pdf" and shown["file"]["size"] == len(PDF)

    url = server.url + shown["file"]["url"]
    async with client.http.get(url, headers={"X-Chat-Token": client.token}) as response:
        assert response.status == 200 and await response.read() == PDF
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("attachment;")
    other = Browserless(client.http, server.url)
    await other.say(text="/start")
    async with client.http.get(url, headers={"X-Chat-Token": other.token}) as response:
        assert response.status == 404  # another chat cannot open it
    async with client.http.get(url) as response:
        assert response.status == 401
    conversation = await (await anna.http.get(f"{server.url}/console/tickets/{ticket}")).text()
    assert "📎 Checkliste.pdf" in conversation


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("Checkliste.pdf", PDF + b"0" * 60_000, "höchstens 0.05 MB"),
        ("Checkliste.pdf", b"MZ\x90\x00 not a pdf", "nur PDF, JPEG, PNG"),
        ("tool.exe", b"MZ\x90\x00", "nur PDF, JPEG, PNG"),
    ],
)
async def test_a_refused_file_gets_a_clear_message(client, server, anna, name, data, message):
    ticket = await hand_over(client, QUESTION)
    page = await send(anna, ticket, name, data)
    assert message in page and 'class="flash error"' in page
    await asyncio.sleep(0.3)
    assert not [m for m in await client.chat_messages() if "file" in m]


async def test_an_upload_needs_the_forms_token_and_the_tickets_team(client, server, anna, http):
    ticket = await hand_over(client, QUESTION)
    forged = await anna.http.post(
        f"{server.url}/console/tickets/{ticket}/file", data=upload_form("forged", "a.pdf", PDF)
    )
    assert forged.status == 403
    other_team = Browserless(http, server.url)
    await other_team.login("carl")
    refused = await http.post(
        f"{server.url}/console/tickets/{ticket}/file", data=upload_form(other_team.csrf, "a.pdf", PDF)
    )
    assert refused.status == 404
    await asyncio.sleep(0.3)
    assert not [m for m in await client.chat_messages() if "file" in m]
