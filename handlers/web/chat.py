"""The employers' web chat: a page, and a small JSON API on the same dialogue as Telegram.

No log-in: the browser asks for a token once and keeps it (localStorage); the server makes and
signs it, so made-up tokens are refused. It is sent in the X-Chat-Token header, which a form on
another site cannot set, so the API needs no CSRF token. Everything the page shows is set as text
by its script, never as HTML.

Abuse limits (config web.*): messages per chat and per client address, new chats per address,
hand-overs per address and for all web chats together (counted in the database), one vote per
answer. The body is read up to MAX_BODY bytes whatever the headers claim (chunked bodies too), and
JSON nested deeper than any real message is refused with 400.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import defaultdict, deque
from datetime import timedelta

import aiohttp_jinja2
from aiohttp import web

from bot.accounts.web_chat import CHANNEL
from bot.db.models import utcnow
from bot.messages import IncomingMessage, Kind
from bot.text_input import clean_payload, clean_text, load_json, parse_id
from handlers.web.chat_store import chat_id_of, new_token, reply_json
from handlers.web.security import client_address, trusted_networks
from handlers.web.services import SERVICES

log = logging.getLogger(__name__)

MAX_BODY = 16 * 1024
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
FLOOD_NOTE = {
    "de": "Sie schreiben gerade sehr schnell. Bitte warten Sie einen Moment.",
    "en": "You are writing very fast. Please wait a moment.",
}
BUSY_NOTE = {
    "de": "Gerade kommen sehr viele Anfragen an. Bitte versuchen Sie es später noch einmal oder "
    "wenden Sie sich direkt an die Behörde oder die Netzwerkkoordination.",
    "en": "Very many requests are arriving right now. Please try again later or contact the "
    "authority or the network coordinator directly.",
}
VOTED_NOTE = {
    "de": "Danke, Ihre Bewertung dieser Antwort ist schon gezählt.",
    "en": "Thank you, your rating of this answer is counted already.",
}
CONSENT = "ho:consent"  # the button that opens a ticket (bot/handover.py)


class ChatFlood:
    """At most `limit` events per `window` seconds per key (a chat, an address); one process's view."""

    def __init__(self, limit: int, window: float = 60):
        self.limit = limit
        self.window = window
        self._seen: dict[str, deque] = defaultdict(deque)

    def allow(self, key: str) -> bool:
        now, entries = time.monotonic(), self._seen[key]
        while entries and entries[0] < now - self.window:
            entries.popleft()
        if len(entries) >= self.limit:
            return False
        entries.append(now)
        if len(self._seen) > 50_000:
            self._seen.clear()
        return True


class Limits:
    """The web chat's abuse limits, from config web.* (module docstring)."""

    def __init__(self, settings):
        self.per_chat = ChatFlood(settings.chat_max_messages_per_minute)
        self.per_address = ChatFlood(settings.chat_messages_per_minute_per_address)
        self.new_chats = ChatFlood(settings.chat_new_per_hour_per_address, 3600)
        self.tickets = ChatFlood(settings.chat_tickets_per_hour_per_address, 3600)
        self.tickets_per_hour = settings.chat_tickets_per_hour
        self.trusted = trusted_networks(settings.trusted_proxies)


FLOOD = web.AppKey("lotse_chat_limits", Limits)
LOCKS = web.AppKey("lotse_chat_locks", dict)


def _chat_id(request: web.Request) -> str:
    chat_id = chat_id_of(request.headers.get("X-Chat-Token", ""), request.app[SERVICES].session_key)
    if chat_id is None:
        raise web.HTTPUnauthorized(text="no chat token")
    return chat_id


async def _body(request: web.Request) -> dict:
    """The JSON object sent, read up to MAX_BODY bytes whatever Content-Length says (chunked too)."""
    if request.content_length and request.content_length > MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=request.content_length)
    raw = bytearray()
    while len(raw) <= MAX_BODY:
        chunk = await request.content.read(MAX_BODY + 1 - len(raw))
        if not chunk:
            break
        raw += chunk
    if len(raw) > MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=len(raw))
    try:
        body = load_json(bytes(raw))
    except (ValueError, RecursionError) as exc:
        raise web.HTTPBadRequest(text="JSON expected") from exc
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="JSON object expected")
    return body


def _after(raw: object) -> int:
    return parse_id(raw) or 0  # past the database's range (or no number): from the start


async def page(request: web.Request) -> web.Response:
    """The chat page."""
    services = request.app[SERVICES]
    return aiohttp_jinja2.render_template(
        "chat.html", request, {"poll_ms": int(services.config.web.chat_poll_seconds * 1000)}
    )


async def new_chat(request: web.Request) -> web.Response:
    """A new chat's token; the browser keeps it."""
    limits = request.app[FLOOD]
    if not limits.new_chats.allow(client_address(request, limits.trusted)):
        raise web.HTTPTooManyRequests(text="too many new chats from this address; try again later")
    return web.json_response({"token": new_token(request.app[SERVICES].session_key)})


async def messages(request: web.Request) -> web.Response:
    """The chat's messages after `after`: the page polls this for the teams' answers."""
    services = request.app[SERVICES]
    rows = await services.chat.since(_chat_id(request), _after(request.query.get("after")))
    return web.json_response({"messages": rows})


def _incoming(chat_id: str, body: dict) -> IncomingMessage:
    payload, text = clean_payload(body.get("payload") or ""), clean_text(body.get("text") or "").strip()
    client_id = str(body.get("id") or "")
    external = client_id if CLIENT_ID.match(client_id) else ""
    hint = clean_text(body.get("lang") or "")[:8] or None
    if payload:
        return IncomingMessage(
            CHANNEL,
            chat_id,
            Kind.BUTTON,
            text=clean_text(body.get("label") or "")[:200],
            payload=payload,
            external_id=external,
            language_hint=hint,
        )
    kind = Kind.COMMAND if text.startswith("/") else Kind.TEXT
    return IncomingMessage(CHANNEL, chat_id, kind, text=text, external_id=external, language_hint=hint)


async def _limited(request: web.Request, message: IncomingMessage, chat_id: str) -> dict | None:
    """The note to give instead of an answer when a limit is reached, else None."""
    services, limits = request.app[SERVICES], request.app[FLOOD]
    address = client_address(request, limits.trusted)
    if not limits.per_chat.allow(chat_id) or not limits.per_address.allow(address):
        return FLOOD_NOTE
    if message.payload.startswith("fb:") and await services.chat.voted(chat_id, message.payload):
        return VOTED_NOTE
    if message.payload == CONSENT:
        opened = await services.chat.tickets_since(utcnow() - timedelta(hours=1))
        if opened >= limits.tickets_per_hour or not limits.tickets.allow(address):
            log.warning("web chat hand-over refused: ticket limit reached (%d in the last hour)", opened)
            return BUSY_NOTE
    return None


async def send(request: web.Request) -> web.Response:
    """Take the employer's message or button, answer it, and return everything new in the chat."""
    services, chat_id = request.app[SERVICES], _chat_id(request)
    body = await _body(request)
    message = _incoming(chat_id, body)
    if not (message.text or message.payload):
        raise web.HTTPBadRequest(text="a text or a button is expected")
    async with request.app[LOCKS].setdefault(chat_id, asyncio.Lock()):  # one chat's messages in order
        lang = await services.conversation.chat_language(message)
        shown = message.text or message.payload
        if shown.strip().lower() != "/start":  # the page sends it by itself on a new chat
            await services.chat.add(chat_id, "employer", {"text": shown[:4000]})
        note = await _limited(request, message, chat_id)
        if note:
            await services.chat.add(chat_id, "bot", {"text": note.get(lang, note["de"])})
        else:
            replies = await services.conversation.handle(message)
            if any(reply.erased for reply in replies):
                await services.chat.delete_chat(chat_id)  # /delete: the transcript goes too
                return web.json_response(
                    {"messages": [reply_json(r) | {"role": "bot"} for r in replies], "reset": True}
                )
            for reply in replies:
                await services.chat.add(chat_id, "bot", reply_json(reply))
        if len(request.app[LOCKS]) > 10_000:
            request.app[LOCKS].clear()
    return web.json_response({"messages": await services.chat.since(chat_id, _after(body.get("after")))})


def add_routes(app: web.Application, settings) -> None:
    """The web chat's routes (mounted under /chat); public, identified by the chat token."""
    app[FLOOD] = Limits(settings)
    app[LOCKS] = {}
    r = app.router
    r.add_get("/", page, name="chat.page")
    r.add_post("/api/new", new_chat, name="chat.new")
    r.add_get("/api/messages", messages, name="chat.messages")
    r.add_post("/api/send", send, name="chat.send")
