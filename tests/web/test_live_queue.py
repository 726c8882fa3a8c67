"""The live queue: the event stream tells each account of its teams' ticket changes only, also across processes."""

from __future__ import annotations

import asyncio
import json
import re

import aiohttp
import pytest

from bot.config import DatabaseSettings
from bot.tickets.service import Contact
from handlers.web import live
from handlers.web.server import serving
from tests.tickets.conftest import empty_schema, postgres_url  # noqa: F401 (the session's server, as a fixture)
from tests.web.conftest import AUTHORITY_QUESTION, PASSWORD, Browserless, hand_over, new_http


class EventStream:
    """The console's event stream as a browser's EventSource reads it."""

    def __init__(self, response: aiohttp.ClientResponse):
        self.response = response

    async def next_event(self, seconds: float = 10.0) -> tuple[str, dict]:
        """The next event's kind and data; comments (heartbeats) and the retry line are skipped."""
        kind, data = "message", ""
        async with asyncio.timeout(seconds):
            while True:
                raw = await self.response.content.readline()
                if not raw:  # the server ended the stream (else this loop would spin without yielding)
                    raise EOFError("the event stream ended")
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    kind = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    data = line.removeprefix("data: ")
                elif line == "" and data:
                    return kind, json.loads(data)


async def open_stream(
    console: Browserless, through_nginx: bool = False, path: str = "/console/queue/events"
) -> EventStream:
    """The stream of the queue (or of the page at `path`), closed with the console's HTTP session."""
    response = await console.http.get(f"{console.base}{path}", allow_redirects=False)
    # A stream is never read to its end: close it with its session, before the session closes the
    # socket under it (else its connection warns when collected, in whichever test runs then).
    close_session = console.http.close

    async def close_stream_then_session() -> None:
        response.close()
        await close_session()

    console.http.close = close_stream_then_session  # type: ignore[method-assign]
    assert response.status == 200, response.status
    assert response.headers["Content-Type"].startswith("text/event-stream")
    assert response.headers["Cache-Control"] == "no-store"
    # nginx reads X-Accel-Buffering (it then passes each event on at once) and does not forward it
    assert response.headers.get("X-Accel-Buffering") == (None if through_nginx else "no")
    return EventStream(response)


async def coordinator_ticket(server, question: str = "Bitte rufen Sie uns zurück") -> int:
    ticket = await server.services.tickets.open(
        channel="web",
        chat_id="coord-chat",
        team="coordinator",
        lang="de",
        question=question,
        company="Tischlerei Nord",
        contact=Contact("phone", "+49 170 7654321"),
    )
    return ticket.id


async def test_each_team_hears_only_of_its_own_tickets(server):
    async with new_http() as anna_http, new_http() as carl_http, new_http() as employer_http:
        anna, carl = Browserless(anna_http, server.url), Browserless(carl_http, server.url)
        await anna.login("anna")
        await carl.login("carl")
        anna_stream, carl_stream = await open_stream(anna), await open_stream(carl)

        ticket = await hand_over(Browserless(employer_http, server.url), AUTHORITY_QUESTION)
        kind, data = await anna_stream.next_event()
        assert (kind, data) == ("ticket", {"ticket": ticket, "action": "opened", "team": "authority", "status": "open"})

        theirs = await coordinator_ticket(server)
        # events arrive in order: had the authority's ticket reached Carl, it would come first
        assert await carl_stream.next_event() == (
            "ticket",
            {"ticket": theirs, "action": "opened", "team": "coordinator", "status": "open"},
        )
        # and Anna never hears of the coordinator's ticket: the next thing she hears is her own ticket's change
        await server.services.view.tickets.employer_message(
            ticket, "web", (await server.services.view.tickets.get(ticket)).chat_external_id, "Noch eine Ergänzung"
        )
        assert (await anna_stream.next_event())[1]["action"] == "employer_message"


async def test_a_hand_over_reaches_the_new_team_and_leaves_the_old_one(server):
    async with new_http() as anna_http, new_http() as carl_http:
        anna, carl = Browserless(anna_http, server.url), Browserless(carl_http, server.url)
        await anna.login("anna")
        await carl.login("carl")
        anna_stream, carl_stream = await open_stream(anna), await open_stream(carl)
        ticket = await coordinator_ticket(server)
        assert (await carl_stream.next_event())[0] == "ticket"
        response = await carl.post(f"/console/tickets/{ticket}/handover", to_team="authority", text="Einzelfall")
        assert response.status == 200
        assert await carl_stream.next_event() == (
            "gone",
            {"ticket": ticket, "action": "handed_over", "team": "coordinator", "status": ""},
        )
        assert await anna_stream.next_event() == (
            "ticket",
            {"ticket": ticket, "action": "handed_over", "team": "authority", "status": "open"},
        )


async def test_the_rows_carry_the_queue_and_the_number_of_unclaimed_tickets(server, client):
    await client.login("carl")
    empty = await (await client.http.get(f"{server.url}/console/queue/rows")).text()
    assert 'data-unclaimed="0"' in empty and "<html" not in empty
    first, second = await coordinator_ticket(server), await coordinator_ticket(server, "Ein Besuch im Betrieb?")
    page = await (await client.http.get(f"{server.url}/console/queue")).text()
    assert re.search(r"<title>\(2\) Warteschlange", page) and 'src="/static/console.js' in page
    rows = await (await client.http.get(f"{server.url}/console/queue/rows?status=open")).text()
    assert 'data-unclaimed="2"' in rows and f'data-ticket="{first}"' in rows and f'data-ticket="{second}"' in rows
    searched = await (await client.http.get(f"{server.url}/console/queue/rows?q=Besuch")).text()
    assert f'data-ticket="{second}"' in searched and f'data-ticket="{first}"' not in searched


async def test_a_logged_out_stream_ends_and_cannot_be_opened_again(server, client):
    await client.login("carl")
    stream = await open_stream(client)
    await client.post("/console/logout")
    await coordinator_ticket(server)  # a change wakes the stream, which finds the session ended
    async with asyncio.timeout(10):
        rest = await stream.response.content.read()  # until the server ends the stream
    assert b"event:" not in rest
    refused = await client.http.get(f"{server.url}/console/queue/events", allow_redirects=False)
    assert refused.status == 302


@pytest.mark.postgres
async def test_a_ticket_from_another_process_reaches_a_stream_here(web_config, shared_core, postgres_url):  # noqa: F811
    """Two runtimes on one PostgreSQL database, as two processes behind nginx (tests/multiproc does it with
    processes): the ticket is opened through the other one's web chat, the stream is held by this one."""
    await empty_schema(postgres_url)
    config = web_config.model_copy(update={"database": DatabaseSettings(url=postgres_url)})
    async with (
        serving(config, knowledge=shared_core.knowledge, host="127.0.0.1", port=0) as this,
        serving(config, knowledge=shared_core.knowledge, host="127.0.0.1", port=0) as other,
    ):
        await this.services.accounts.add("anna", PASSWORD, ["authority"], "Anna Authority")
        async with new_http() as anna_http, new_http() as employer_http:
            anna = Browserless(anna_http, this.url)
            await anna.login("anna")
            stream = await open_stream(anna)
            ticket = await hand_over(Browserless(employer_http, other.url), AUTHORITY_QUESTION)
            assert await stream.next_event() == (
                "ticket",
                {"ticket": ticket, "action": "opened", "team": "authority", "status": "open"},
            )


async def test_an_idle_stream_sends_heartbeats_and_ends_after_its_time(server, client, monkeypatch):
    monkeypatch.setattr(live, "HEARTBEAT_SECONDS", 0.2)
    monkeypatch.setattr(live, "STREAM_SECONDS", 1.0)  # then the browser opens a new one, checked like any request
    await client.login("carl")
    stream = await open_stream(client)
    async with asyncio.timeout(10):
        body = (await stream.response.content.read()).decode()
    assert body.startswith("retry: 3000\n\n") and body.count(": heartbeat\n\n") >= 3 and "event:" not in body


async def test_the_live_pages_own_requests_do_not_keep_a_session_alive(server, client, monkeypatch):
    """An open queue page asks for its rows by itself; that is not a click (web.session_idle_minutes)."""
    import time as real_time
    from types import SimpleNamespace

    from handlers.web import security

    await client.login("carl")
    idle = server.services.config.web.session_idle_minutes * 60
    logged_in = real_time.time()

    async def status_at(seconds_later: float, path: str) -> int:
        monkeypatch.setattr(security, "time", SimpleNamespace(time=lambda: logged_in + seconds_later))
        response = await client.http.get(f"{server.url}{path}", allow_redirects=False)
        return response.status

    assert await status_at(idle - 100, "/console/queue/rows") == 200  # still within the idle time ...
    assert await status_at(idle + 100, "/console/queue") == 302  # ... but the rows did not count as a click

    await client.login("carl")
    logged_in = real_time.time()
    assert await status_at(idle - 100, "/console/queue") == 200  # a click ...
    assert await status_at(idle + 100, "/console/queue") == 200  # ... keeps it alive
