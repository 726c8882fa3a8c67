"""The live queue: the account's teams' ticket changes as server-sent events (docs/web.md, "The live queue").

The page (static/console.js) opens `/console/queue/events` with EventSource and, on each event,
fetches the queue's rows again (`/console/queue/rows`, the same filters): the stream itself says
only which ticket changed and how, never its text. Browsers without EventSource fetch the rows
at an interval instead. Each event is authorised for the account as it is now (its session still
valid, its teams): another team's ticket never reaches the stream (bot/tickets/feed.py).
"""

from __future__ import annotations

import asyncio
import json
import logging

from aiohttp import web
from aiohttp_session import Session, get_session

from bot.tickets.feed import ConsoleEvent, Listener, TicketFeed
from handlers.web.services import SERVICES

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
    feed, session = request.app[FEED], await get_session(request)
    response = web.StreamResponse(headers=HEADERS)
    async with feed.listen() as listener:  # subscribed before the page is told the stream is open
        await response.prepare(request)
        await response.write(f"retry: {RECONNECT_MS}\n\n".encode())
        try:
            await relay(request, session, listener, response)
        except ConnectionResetError:  # the page was closed or reloaded
            log.debug("a console's event stream was closed by the browser")
    return response


async def relay(request: web.Request, session: Session, listener: Listener, response: web.StreamResponse) -> None:
    """Write the listener's changes that the account may see, and a heartbeat while there are none."""
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
            event = ConsoleEvent.for_teams(change, account.teams)
            if event is not None:
                await response.write(encode(event))
        if listener.overflowed:
            await response.write(b"event: reload\ndata: {}\n\n")
            return


def add_routes(app: web.Application, feed: TicketFeed) -> None:
    """The stream's route on the console's application; open streams end when the server shuts down."""
    app[FEED] = feed

    async def end_streams(app: web.Application) -> None:
        await feed.close()

    app.on_shutdown.append(end_streams)
    app.router.add_get("/queue/events", events, name="console.queue_events", allow_head=False)
