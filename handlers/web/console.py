"""The coordinators' console: log-in, the queue per team, a ticket and what can be done with it.

Handlers only read the form, call the view (handlers/web/tickets_view.py) and render or redirect;
the log-in requirement and CSRF checks are middlewares (handlers/web/security.py).
"""

from __future__ import annotations

import logging
from datetime import timedelta

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session

from bot.accounts.service import LoginRefused
from bot.text_input import clean_text, parse_id
from handlers.web import files as team_files
from handlers.web.security import (
    ACCOUNT,
    client_address,
    end_session,
    flash,
    safe_next,
    start_session,
    trusted_networks,
    username_tag,
)
from handlers.web.services import SERVICES
from handlers.web.tickets_view import AGES, QueueFilter, TicketDetail, TicketError, TicketNotFound

log = logging.getLogger(__name__)

MAX_ANSWER = 4000


def _login_page(
    request: web.Request, target: str, error: str = "", status: int = 200, unsent: str = ""
) -> web.Response:
    web_settings = request.app[SERVICES].config.web
    lockout = (web_settings.login_max_failures, f"{web_settings.login_lock_minutes:g}")
    return aiohttp_jinja2.render_template(
        "login.html", request, {"next": target, "error": error, "lockout": lockout, "unsent": unsent}, status=status
    )


async def session_ended(request: web.Request, unsent: str) -> web.Response:
    """A form sent after the session ended (web.session_idle_minutes): the log-in page, 401, with what the
    coordinator wrote kept on it to copy, and back to the ticket after the log-in. The answer typed for an
    hour was lost before: the page said "log in first", and going back reloads the form empty (no-store)."""
    ticket = request.match_info.get("ticket_id", "")
    target = f"/console/tickets/{ticket}" if parse_id(ticket) else "/console/queue"
    # The guard runs before aiohttp_jinja2's context processors (they need its account): run them here.
    context = request.setdefault(aiohttp_jinja2.REQUEST_CONTEXT_KEY, {})
    for processor in request.config_dict[aiohttp_jinja2.APP_CONTEXT_PROCESSORS_KEY]:
        context.update(await processor(request))
    return _login_page(request, target, status=401, unsent=unsent)


def _ticket_id(request: web.Request) -> int:
    ticket_id = parse_id(request.match_info["ticket_id"])  # out of the database's range: no such ticket
    if ticket_id is None:
        raise web.HTTPNotFound()
    return ticket_id


async def login(request: web.Request) -> web.Response:
    """Show the log-in form."""
    session = await get_session(request)
    if "uid" in session:
        raise web.HTTPFound(safe_next(request.query.get("next")))
    return _login_page(request, safe_next(request.query.get("next")))


async def login_submit(request: web.Request) -> web.Response:
    """Check the password; a fresh session on success, the same answer for every failure."""
    services, form = request.app[SERVICES], await request.post()
    client = client_address(request, trusted_networks(services.config.web.trusted_proxies))
    username = clean_text(form.get("username", ""))[:64]
    target = safe_next(str(form.get("next", "")))
    throttle = services.throttle
    if throttle.blocked(client, username):
        return _login_page(request, target, "throttled", 429)
    try:
        account = await services.accounts.login(
            username, str(form.get("password", "")), vouched=throttle.clean(client, username)
        )
    except LoginRefused:
        throttle.failed(client, username)
        log.warning("console log-in refused for user #%s from %s", username_tag(username), client)
        return _login_page(request, target, "refused", 401)
    throttle.succeeded(client, username)
    await start_session(request, account, services.accounts, timedelta(hours=services.config.web.session_max_hours))
    log.info("console log-in: %s from %s", account.username, client)
    raise web.HTTPSeeOther(target)


async def logout(request: web.Request) -> web.Response:
    """End the session, on the server too."""
    await end_session(request, request.app[SERVICES].accounts)
    raise web.HTTPSeeOther("/console/login")


async def home(request: web.Request) -> web.Response:
    raise web.HTTPFound("/console/queue")


async def _queue_context(request: web.Request) -> dict:
    services, account, query = request.app[SERVICES], request[ACCOUNT], request.query
    wanted = QueueFilter(
        team=query.get("team", "") if query.get("team") in account.teams else "",
        status=query.get("status", "active"),
        q=clean_text(query.get("q", ""))[:200],
        age=query.get("age", "") if query.get("age") in AGES else "",
        mine=query.get("mine") == "1",
    )
    rows = await services.view.queue(account, wanted)
    counts = await services.view.counts(account)
    unclaimed = sum(team["open"] for team in counts.values())
    poll_ms = int(services.config.web.console_poll_seconds * 1000)
    return {"rows": rows, "filter": wanted, "counts": counts, "unclaimed": unclaimed, "poll_ms": poll_ms}


async def queue(request: web.Request) -> web.Response:
    """The queue of the account's teams, filtered and searched; it updates itself (handlers/web/live.py)."""
    return aiohttp_jinja2.render_template("queue.html", request, await _queue_context(request))


async def queue_rows(request: web.Request) -> web.Response:
    """The queue's counts and rows alone, for the live page to put in place of its own."""
    return aiohttp_jinja2.render_template("queue_rows.html", request, await _queue_context(request))


async def _detail(request: web.Request) -> TicketDetail:
    try:
        return await request.app[SERVICES].view.detail(request[ACCOUNT], _ticket_id(request))
    except TicketNotFound as exc:
        raise web.HTTPNotFound(text="No such ticket in your teams' queues.") from exc


def _live_context(request: web.Request, detail: TicketDetail) -> dict:
    """What the page's live parts need (templates ticket_*.html), for the page and for ticket_live."""
    poll_ms = int(request.app[SERVICES].config.web.console_poll_seconds * 1000)
    return {"d": detail, "t": detail.ticket, "poll_ms": poll_ms}


async def ticket(request: web.Request) -> web.Response:
    """One ticket: question, the bot's view, conversation, employer, audit trail, and the actions."""
    services, detail = request.app[SERVICES], await _detail(request)
    faq = services.core.knowledge.current.faq
    draft = ""
    chosen = request.query.get("faq", "")
    district = services.config.district_of_team(detail.ticket.team)
    if faq.available(chosen, district):  # "insert an FAQ answer": the topic's answer (its district's) to start from
        draft = services.core.dialogue.render_topic(faq.topics[chosen], detail.ticket.lang, district=district).text
    suggested = (detail.ticket.classification or {}).get("faq_id") or ""
    files = services.config.tickets.files
    return aiohttp_jinja2.render_template(
        "ticket.html",
        request,
        _live_context(request, detail)
        | {
            "draft": draft,
            "chosen": chosen or suggested,
            "topics": sorted(faq.topics.values(), key=lambda topic: topic.id),
            "max_answer": MAX_ANSWER,
            "file_limit": f"{files.max_megabytes:g}" if files.enabled else "",
        },
    )


async def ticket_live(request: web.Request) -> web.Response:
    """The ticket page's changing parts alone (state, conversation, audit trail), for the live page; 404 like it."""
    return aiohttp_jinja2.render_template("ticket_live.html", request, _live_context(request, await _detail(request)))


async def _act(request: web.Request, action: str) -> web.Response:
    services, account, form = request.app[SERVICES], request[ACCOUNT], await request.post()
    ticket_id = _ticket_id(request)
    session = await get_session(request)
    text = clean_text(form.get("text", "")).strip()
    try:
        if action == "claim":
            await services.view.claim(account, ticket_id)
        elif action in ("answer", "note"):
            if not text or len(text) > MAX_ANSWER:
                raise TicketError(f"write 1 to {MAX_ANSWER} characters")
            await getattr(services.view, action)(account, ticket_id, text)
        elif action == "handover":
            await services.view.hand_over(account, ticket_id, clean_text(form.get("to_team", "")), text[:1000])
        elif action == "retry":
            outbox_id = clean_text(form.get("message", ""))
            await services.view.retry(
                account, ticket_id, int(outbox_id) if outbox_id.isdigit() and len(outbox_id) < 12 else 0
            )
        else:
            await services.view.close(account, ticket_id)
    except TicketNotFound as exc:
        raise web.HTTPNotFound(text="No such ticket in your teams' queues.") from exc
    except TicketError as exc:
        flash(session, str(exc), "error")
    else:
        flash(session, f"done:{action}", "ok")
        if action == "handover":  # it left the account's teams, unless the account is in both
            target = f"/console/tickets/{ticket_id}"
            if str(form.get("to_team", "")) not in account.teams:
                target = "/console/queue"
            raise web.HTTPSeeOther(target)
    raise web.HTTPSeeOther(f"/console/tickets/{ticket_id}")


async def claim(request: web.Request) -> web.Response:
    """Take the ticket."""
    return await _act(request, "claim")


async def answer(request: web.Request) -> web.Response:
    """Send an answer to the employer, on their channel, through the outbox."""
    return await _act(request, "answer")


async def note(request: web.Request) -> web.Response:
    """Add an internal note (never sent to the employer)."""
    return await _act(request, "note")


async def handover(request: web.Request) -> web.Response:
    """Give the ticket to another team, with a note."""
    return await _act(request, "handover")


async def close(request: web.Request) -> web.Response:
    """Close the ticket."""
    return await _act(request, "close")


async def retry(request: web.Request) -> web.Response:
    """Send a failed message to the employer again."""
    return await _act(request, "retry")


def add_routes(app: web.Application) -> None:
    """The console's routes (mounted under /console); all but the log-in need a session."""
    r = app.router
    r.add_get("/login", login, name="console.login")
    r.add_post("/login", login_submit, name="console.login_submit")
    r.add_post("/logout", logout, name="console.logout")
    r.add_get("/", home, name="console.home")
    r.add_get("/queue", queue, name="console.queue")
    r.add_get("/queue/rows", queue_rows, name="console.queue_rows")
    r.add_get("/tickets/{ticket_id}", ticket, name="console.ticket")
    r.add_get("/tickets/{ticket_id}/live", ticket_live, name="console.ticket_live")
    r.add_get("/tickets/{ticket_id}/files/{file_id}", team_files.ticket_file, name="console.ticket_file")
    r.add_post("/tickets/{ticket_id}/claim", claim, name="console.claim")
    r.add_post("/tickets/{ticket_id}/answer", answer, name="console.answer")
    r.add_post("/tickets/{ticket_id}/note", note, name="console.note")
    r.add_post("/tickets/{ticket_id}/handover", handover, name="console.handover")
    r.add_post("/tickets/{ticket_id}/close", close, name="console.close")
    r.add_post("/tickets/{ticket_id}/retry", retry, name="console.retry")
    r.add_post("/tickets/{ticket_id}/file", team_files.upload, name="console.file")  # handlers/web/files.py
