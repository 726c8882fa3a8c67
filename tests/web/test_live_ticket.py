"""The live ticket page: its event stream carries that ticket's changes only (the employer's reply, a
colleague's claim, answer and close), while the account may see the ticket; once it may not (handed
over, the account left the team) the stream says `gone` and ends, and the page's parts are refused."""

from __future__ import annotations

import asyncio

import pytest

from tests.web.conftest import AUTHORITY_QUESTION, PASSWORD, Browserless, hand_over, new_http
from tests.web.test_live_queue import EventStream, open_stream


@pytest.fixture
async def server(server):
    await server.services.accounts.add("bert", PASSWORD, ["authority"], "Bert Behörde")
    return server


@pytest.fixture
async def people(server):
    """Logged-in consoles of Anna and Bert (authority) and Carl (coordinator); their streams close with them."""
    consoles = {name: Browserless(new_http(), server.url) for name in ("anna", "bert", "carl")}
    try:
        for name, console in consoles.items():
            await console.login(name)
        yield consoles
    finally:
        for console in consoles.values():
            await console.http.close()


async def ticket_stream(console: Browserless, ticket: int) -> EventStream:
    return await open_stream(console, path=f"/console/tickets/{ticket}/events")


async def live_parts(console: Browserless, ticket: int) -> tuple[int, str]:
    response = await console.http.get(f"{console.base}/console/tickets/{ticket}/live", allow_redirects=False)
    return response.status, await response.text()


async def employer_writes(employer: Browserless, text: str) -> None:
    """The employer writes again while the ticket is open, and adds it to the ticket."""
    await employer.say(text=text)
    await employer.say(payload="ho:add", label="Zum Ticket")


async def test_the_ticket_page_hears_its_tickets_changes_and_only_those(server, client, people):
    anna, bert = people["anna"], people["bert"]
    ticket = await hand_over(client, AUTHORITY_QUESTION, company="Erste GmbH")
    stream = await ticket_stream(anna, ticket)

    async with new_http() as other_http:  # another ticket of Anna's team: the queue's business, not this page's
        await hand_over(Browserless(other_http, server.url), AUTHORITY_QUESTION, company="Zweite KG")
    assert (await bert.post(f"/console/tickets/{ticket}/claim")).status == 200
    # events come in order: had the other ticket's opening reached this stream, it would come first
    assert await stream.next_event() == (
        "ticket",
        {"ticket": ticket, "action": "claimed", "team": "authority", "status": "claimed"},
    )

    await employer_writes(client, "Er hat jetzt auch eine Zusage der Berufsschule.")
    assert (await stream.next_event())[1]["action"] == "employer_message"
    status, parts = await live_parts(anna, ticket)
    assert status == 200 and "Er hat jetzt auch eine Zusage der Berufsschule." in parts
    assert "Übernommen von <strong>Bert Behörde</strong>" in parts and "<html" not in parts

    await bert.post(f"/console/tickets/{ticket}/answer", text="Dann reichen Sie die Zusage bitte nach.")
    assert await stream.next_event() == (
        "ticket",
        {"ticket": ticket, "action": "answered", "team": "authority", "status": "answered"},
    )
    await bert.post(f"/console/tickets/{ticket}/close")
    assert (await stream.next_event())[1]["status"] == "closed"
    status, parts = await live_parts(anna, ticket)
    assert 'data-status="closed"' in parts and "Dieses Ticket ist geschlossen." in parts
    assert "Dann reichen Sie die Zusage bitte nach." in parts


async def test_another_team_cannot_open_the_ticket_page_stream_or_parts(server, client, people, http):
    ticket = await hand_over(client, AUTHORITY_QUESTION)
    carl = people["carl"]
    for path in (f"/console/tickets/{ticket}/events", f"/console/tickets/{ticket}/live"):
        response = await carl.http.get(server.url + path, allow_redirects=False)
        assert response.status == 404 and "Muster GmbH" not in await response.text(), path
        response.release()
    for path in ("/console/tickets/99999/events", "/console/tickets/99999999999/events"):
        assert (await carl.http.get(server.url + path, allow_redirects=False)).status == 404
    response = await http.get(f"{server.url}/console/tickets/{ticket}/events", allow_redirects=False)
    assert response.status == 302  # logged out: to the log-in, like the page


async def test_a_hand_over_ends_the_old_teams_ticket_stream_with_gone(server, client, people):
    anna, bert, carl = people["anna"], people["bert"], people["carl"]
    ticket = await hand_over(client, AUTHORITY_QUESTION)
    stream = await ticket_stream(anna, ticket)
    await bert.post(f"/console/tickets/{ticket}/handover", to_team="coordinator", text="Förderfrage")
    # the page learns only that the ticket left: not where to, not how it goes on
    assert await stream.next_event() == ("gone", {"ticket": ticket, "action": "handed_over", "team": "", "status": ""})
    async with asyncio.timeout(10):
        assert b"event:" not in await stream.response.content.read()  # and the stream ends there
    assert (await live_parts(anna, ticket))[0] == 404
    refused = await anna.http.get(f"{server.url}/console/tickets/{ticket}/events", allow_redirects=False)
    assert refused.status == 404
    # the new team's page hears it from now on
    carl_stream = await ticket_stream(carl, ticket)
    await employer_writes(client, "Gibt es dafür einen Zuschuss?")
    assert (await carl_stream.next_event())[1] == {
        "ticket": ticket,
        "action": "employer_message",
        "team": "coordinator",
        "status": "open",
    }


async def test_an_account_taken_off_the_team_stops_hearing_the_ticket(server, client, people):
    anna = people["anna"]
    ticket = await hand_over(client, AUTHORITY_QUESTION)
    stream = await ticket_stream(anna, ticket)
    await server.services.accounts.set_teams("anna", ["coordinator"])  # which ends her sessions too
    await employer_writes(client, "Noch eine Frage zur Probezeit.")
    async with asyncio.timeout(10):
        assert b"event:" not in await stream.response.content.read()  # the stream ends, telling nothing
    assert (await live_parts(anna, ticket))[0] == 302  # the page: "signed out"
    await anna.login("anna")
    assert (await live_parts(anna, ticket))[0] == 404  # and after logging in again, not found
    response = await anna.http.get(f"{server.url}/console/tickets/{ticket}/events", allow_redirects=False)
    assert response.status == 404


async def test_the_employers_delete_ends_the_ticket_stream_with_gone(server, client, people):
    anna = people["anna"]
    ticket = await hand_over(client, AUTHORITY_QUESTION)
    stream = await ticket_stream(anna, ticket)
    await client.say(text="/delete")
    await client.say(payload="del:yes", label="Ja")
    assert await stream.next_event() == ("gone", {"ticket": ticket, "action": "anonymised", "team": "", "status": ""})
    assert (await live_parts(anna, ticket))[0] == 404


async def test_the_pages_own_fetches_leave_the_next_pages_message(server, client, people):
    """A live page fetching its parts must not take the "Done." meant for the page the coordinator goes to."""
    anna = people["anna"]
    ticket = await hand_over(client, AUTHORITY_QUESTION)
    response = await anna.post(f"/console/tickets/{ticket}/claim", follow=False)
    assert response.status == 303
    status, parts = await live_parts(anna, ticket)
    assert status == 200 and 'class="flash' not in parts
    page = await (await anna.http.get(f"{server.url}/console/tickets/{ticket}")).text()
    assert 'class="flash ok"' in page
