"""The live console: ticket changes as server-sent events (docs/web.md, "The live queue").

The queue page (static/console.js) opens `/console/queue/events` with EventSource and, on each
event, fetches the queue's rows again (`/console/queue/rows`, the same filters); a ticket's page
opens `/console/tickets/N/events` (that ticket's changes only) and fetches its changing parts
(`/console/tickets/N/live`). The stream itself says only which ticket changed and how, never its
text. Browsers without EventSource fetch at an interval instead. Each event is authorised for the
account as it is now (its session still valid, its teams): another team's ticket never reaches a
stream (bot/tickets/feed.py), and a ticket's stream ends with `gone` once the account may no
longer see the ticket (handed over to another team, deleted). A log-out, or a change of the
account's password or teams, ends its sessions and with them every stream.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable

from aiohttp import web
from aiohttp_session import Session, get_session

from bot.text_input import parse_id
from bot.tickets.feed import ConsoleEvent, Listener, TicketChange, TicketFeed
from handlers.web.security import ACCOUNT
from handlers.web.services import SERVICES
from handlers.web.tickets_view import TicketNotFound

log = logging.getLogger(__name__)

FEED = web.AppKey("lotse_ticket_feed", TicketFeed)
# A stream ends after this long and the browser opens a new one (EventSource does so by itself),
# so that the log-in is checked again by the console's middleware like on any request.
STREAM_SECONDS = 300.0
# A comment this often keeps an idle stream open through proxies (nginx's proxy_read_timeout: 60 s).
HEARTBEAT_SECONDS = 15.0
RECONNECT_MS = 3000
HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-store",
    "X-Accel-Buffering": "no",  # nginx passes each event on at once instead of buffering the response
    "X-Content-Type-Options": "nosniff",
}


def encode(event: ConsoleEvent) -> bytes:
    """One server-sent event: its kind, the audit row's id, and the ticket's number, action, team and status."""
    return f"event: {event.kind}\nid: {event.id}\ndata: {json.dumps(event.data())}\n\n".encode()


async def events(request: web.Request) -> web.StreamResponse:
    """Stream the changes of the account's teams' tickets until the client leaves or the stream's time is up."""
    return await _stream(request, None)


async def ticket_events(request: web.Request) -> web.StreamResponse:
    """Stream one ticket's changes while the account may see it; 404 (as for its page) when it may not."""
    ticket_id = parse_id(request.match_info["ticket_id"]) or 0
    try:
        await request.app[SERVICES].view.visible(request[ACCOUNT], ticket_id)
    except TicketNotFound as exc:
        raise web.HTTPNotFound(text="No such ticket in your teams' queues.") from exc
    return await _stream(request, ticket_id)


async def _stream(request: web.Request, ticket_id: int | None) -> web.StreamResponse:
    feed, session = request.app[FEED], await get_session(request)
    response = web.StreamResponse(headers=HEADERS)
    async with feed.listen() as listener:  # subscribed before the page is told the stream is open
        await response.prepare(request)
        await response.write(f"retry: {RECONNECT_MS}\n\n".encode())
        try:
            await relay(request, session, listener, response, ticket_id)
        except ConnectionResetError:  # the page was closed or reloaded
            log.debug("a console's event stream was closed by the browser")
    return response


async def relay(
    request: web.Request,
    session: Session,
    listener: Listener,
    response: web.StreamResponse,
    ticket_id: int | None = None,
) -> None:
    """Write the listener's changes that the account may see (of `ticket_id` only, if given), and a
    heartbeat while there are none."""
    accounts, loop = request.app[SERVICES].accounts, asyncio.get_running_loop()
    ends = loop.time() + STREAM_SECONDS
    while loop.time() < ends and not listener.closed:
        changes = await listener.next(timeout=min(HEARTBEAT_SECONDS, max(0.0, ends - loop.time())))
        if not changes:
            await response.write(b": heartbeat\n\n")
            continue
        # as the account is now: a log-out, a disabled account or changed teams take effect at once
        account = await accounts.current(session["uid"], session.get("epoch", -1), str(session.get("sid", "")))
        if account is None:
            return
        for change in changes:
            if ticket_id is None:
                event = ConsoleEvent.for_teams(change, account.teams)
            elif change.ticket_id == ticket_id:
                event = for_ticket_page(change, account.teams)
            else:
                continue
            if event is not None:
                await response.write(encode(event))
                if ticket_id is not None and event.kind == "gone":
                    return  # the page stops updating; a new stream would be refused (404)
        if listener.overflowed:
            await response.write(b"event: reload\ndata: {}\n\n")
            return


def for_ticket_page(change: TicketChange, teams: Iterable[str]) -> ConsoleEvent:
    """The event for the page of the change's ticket: a change it may see, or `gone` (and no more) when it may not.

    Unlike the queue's, this holds for any reason the account may not see it (a hand-over, a deletion,
    or the account no longer in the ticket's team); it is told nothing else about the ticket then.
    """
    event = ConsoleEvent.for_teams(change, teams)
    if event is not None and event.kind == "ticket":
        return event
    return ConsoleEvent("gone", change.id, change.ticket_id, change.action if event else "", "", "")


def add_routes(app: web.Application, feed: TicketFeed) -> None:
    """The stream's route on the console's application; open streams end when the server shuts down."""
    app[FEED] = feed

    async def end_streams(app: web.Application) -> None:
        await feed.close()

    app.on_shutdown.append(end_streams)
    app.router.add_get("/queue/events", events, name="console.queue_events", allow_head=False)
    app.router.add_get("/tickets/{ticket_id}/events", ticket_events, name="console.ticket_events", allow_head=False)
