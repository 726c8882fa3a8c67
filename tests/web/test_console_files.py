"""Files from the team on the console's ticket page: listed in the conversation with a download that is
authorised like the page (another team's account and a logged-out request get nothing), served as a
safe attachment, and shown as removed once the retention or the employer's /delete took the file.
On a SQLite file and on PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import aiohttp
import pytest

from bot.config import DatabaseSettings, Retention, TeamFiles
from bot.db.models import utcnow
from bot.retention import purge
from handlers.web.files import content_disposition
from tests.tickets.conftest import empty_schema, postgres_url  # noqa: F401 (the session's server, as a fixture)
from tests.web.conftest import AUTHORITY_QUESTION, Browserless, hand_over, new_http
from tests.web.test_team_files import team_messages

PDF = b"%PDF-1.4\n% Checkliste Einstellung\n" + b"7" * 3000 + b"\n%%EOF\n"
LINK = re.compile(r'href="(/console/tickets/\d+/files/\d+)"')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def web_config(request, web_config):
    tickets = web_config.tickets.model_copy(update={"files": TeamFiles(max_megabytes=0.05)})
    config = web_config.model_copy(update={"tickets": tickets})
    if request.param == "sqlite":
        return config
    url = request.getfixturevalue("postgres_url")
    await empty_schema(url)
    return config.model_copy(update={"database": DatabaseSettings(url=url)})


async def send(coordinator: Browserless, ticket: int, name: str, data: bytes) -> None:
    """Upload on the ticket's page as a browser does: the file's name as UTF-8, not percent-encoded."""
    form = aiohttp.FormData(quote_fields=False)
    form.add_field("csrf", coordinator.csrf)
    form.add_field("text", "Bitte ausgefüllt mitbringen.")
    form.add_field("file", data, filename=name, content_type="application/octet-stream")
    response = await coordinator.http.post(f"{coordinator.base}/console/tickets/{ticket}/file", data=form)
    assert response.status == 200 and 'class="flash ok"' in await response.text()


async def sent_file(client, server, anna, name: str = "Prüfliste 2026.pdf") -> tuple[int, str]:
    """A ticket of the authority with a file Anna sent from its page; returns the ticket and the file's link."""
    ticket = await hand_over(client, AUTHORITY_QUESTION)
    await send(anna, ticket, name, PDF)
    page = await (await anna.http.get(f"{server.url}/console/tickets/{ticket}")).text()
    [link] = LINK.findall(page)
    return ticket, link


async def test_the_team_downloads_the_exact_bytes_from_the_ticket_page(client, server, anna):
    ticket, link = await sent_file(client, server, anna)
    page = await (await anna.http.get(f"{server.url}/console/tickets/{ticket}")).text()
    item = page[page.index('class="msg staff"') :]
    item = item[: item.index("</li>")]
    # name, size, who sent it and when, beside the download
    assert "Anna Authority" in item and "<time datetime=" in item and "PDF, 3.0 KB" in item
    assert f'href="{link}" download="Prüfliste 2026.pdf">📎 Prüfliste 2026.pdf</a>' in item
    assert "<p>Bitte ausgefüllt mitbringen.</p>" in item  # the team's words with it

    async with anna.http.get(server.url + link) as response:
        assert response.status == 200 and await response.read() == PDF
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.headers["Content-Disposition"] == (
            "attachment; filename=\"Prufliste 2026.pdf\"; filename*=UTF-8''Pr%C3%BCfliste%202026.pdf"
        )
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "private, no-store"  # no shared cache keeps it
    await team_messages(client, "Prüfliste")  # and the employer got it as well


async def test_another_teams_account_and_a_logged_out_request_get_nothing(client, server, anna, http):
    ticket, link = await sent_file(client, server, anna)
    carl = Browserless(http, server.url)
    await carl.login("carl")  # the coordinator's team: may not see the authority's ticket
    for path in (link, f"/console/tickets/{ticket}"):
        async with carl.http.get(server.url + path) as response:
            assert response.status == 404 and PDF not in await response.read()
    async with new_http() as stranger:
        async with stranger.get(server.url + link, allow_redirects=False) as response:
            assert response.status == 302 and response.headers["Location"].startswith("/console/login?next=")
            assert PDF not in await response.read()
    # Anna's own ticket, but a file of another ticket, or made-up numbers: not found either
    other = await hand_over(Browserless(client.http, server.url), AUTHORITY_QUESTION, company="Zweite GmbH")
    file_id = link.rsplit("/", 1)[1]
    for path in (f"/console/tickets/{other}/files/{file_id}", f"{link}0", "/console/tickets/1/files/99999999999"):
        async with anna.http.get(server.url + path) as response:
            assert response.status == 404, path


async def test_a_file_taken_by_the_retention_shows_as_removed(client, server, anna):
    ticket, link = await sent_file(client, server, anna)
    retention = Retention(days=server.services.config.retention.days)
    removed = await purge(server.services.database, retention, now=utcnow() + timedelta(days=retention.days + 1))
    assert removed["team_files"] == 1
    page = await (await anna.http.get(f"{server.url}/console/tickets/{ticket}")).text()
    assert "📎 Prüfliste 2026.pdf" in page  # the message stays ...
    assert "Datei entfernt" in page and not LINK.search(page)  # ... the file is gone: no link to a 404
    assert (await anna.http.get(server.url + link)).status == 404


async def test_after_the_employers_delete_the_file_is_gone_with_the_ticket(client, server, anna):
    ticket, link = await sent_file(client, server, anna)
    await client.say(text="/delete")
    await client.say(payload="del:yes", label="Ja")
    for path in (link, f"/console/tickets/{ticket}"):
        assert (await anna.http.get(server.url + path)).status == 404, path


@pytest.mark.parametrize(
    ("name", "plain", "utf8"),
    [
        ("Plan.pdf", "Plan.pdf", "Plan.pdf"),
        ('../../etc/"x";\r\nSet-Cookie: a=b.pdf', "x_Set-Cookie_ a_b.pdf", "x_Set-Cookie_%20a_b.pdf"),
        ("Ärger über Öl.png", "Arger uber Ol.png", "%C3%84rger%20%C3%BCber%20%C3%96l.png"),
        ("申请.pdf", "__.pdf", "%E7%94%B3%E8%AF%B7.pdf"),
    ],
)
def test_the_download_name_cannot_break_out_of_its_header(name, plain, utf8):
    assert content_disposition(name) == f"attachment; filename=\"{plain}\"; filename*=UTF-8''{utf8}"
