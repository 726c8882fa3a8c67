"""The employers' web chat: a page, and a small JSON API on the same dialogue as Telegram.

No log-in: the browser asks for a random token once and keeps it (localStorage); it sends it in
the X-Chat-Token header, which a form on another site cannot set, so the API needs no CSRF
token. Everything the page shows is set as text by its script, never as HTML.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import defaultdict, deque

import aiohttp_jinja2
from aiohttp import web

from bot.messages import IncomingMessage, Kind
from handlers.web.chat_store import CHANNEL, chat_id_of, new_token, reply_json
from handlers.web.services import SERVICES

log = logging.getLogger(__name__)

MAX_BODY = 16 * 1024
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
FLOOD_NOTE = {"de": "Sie schreiben gerade sehr schnell. Bitte warten Sie einen Moment.",
              "en": "You are writing very fast. Please wait a moment."}


class ChatFlood:
    """At most `limit` messages a minute per chat; one process's view (enough against a stuck key)."""

    def __init__(self, limit: int):
        self.limit = limit
        self._seen: dict[str, deque] = defaultdict(deque)

    def allow(self, chat_id: str) -> bool:
        now, entries = time.monotonic(), self._seen[chat_id]
        while entries and entries[0] < now - 60:
            entries.popleft()
        if len(entries) >= self.limit:
            return False
        entries.append(now)
        if len(self._seen) > 50_000:
            self._seen.clear()
        return True


FLOOD = web.AppKey("lotse_chat_flood", ChatFlood)
LOCKS = web.AppKey("lotse_chat_locks", dict)


def _chat_id(request: web.Request) -> str:
    chat_id = chat_id_of(request.headers.get("X-Chat-Token", ""))
    if chat_id is None:
        raise web.HTTPUnauthorized(text="no chat token")
    return chat_id


def _after(raw: object) -> int:
    text = str(raw or "0")
    return int(text) if text.isdigit() and len(text) < 16 else 0


async def page(request: web.Request) -> web.Response:
    """The chat page."""
    services = request.app[SERVICES]
    return aiohttp_jinja2.render_template("chat.html", request, {
        "poll_ms": int(services.config.web.chat_poll_seconds * 1000)})


async def new_chat(request: web.Request) -> web.Response:
    """A new chat's token; the browser keeps it."""
    return web.json_response({"token": new_token()})


async def messages(request: web.Request) -> web.Response:
    """The chat's messages after `after`: the page polls this for the teams' answers."""
    services = request.app[SERVICES]
    rows = await services.chat.since(_chat_id(request), _after(request.query.get("after")))
    return web.json_response({"messages": rows})


def _incoming(chat_id: str, body: dict) -> IncomingMessage:
    payload, text = str(body.get("payload") or ""), str(body.get("text") or "").strip()
    client_id = str(body.get("id") or "")
    external = client_id if CLIENT_ID.match(client_id) else ""
    hint = str(body.get("lang") or "")[:8] or None
    if payload:
        return IncomingMessage(CHANNEL, chat_id, Kind.BUTTON, text=str(body.get("label") or "")[:200],
                               payload=payload[:200], external_id=external, language_hint=hint)
    kind = Kind.COMMAND if text.startswith("/") else Kind.TEXT
    return IncomingMessage(CHANNEL, chat_id, kind, text=text, external_id=external, language_hint=hint)


async def send(request: web.Request) -> web.Response:
    """Take the employer's message or button, answer it, and return everything new in the chat."""
    services, chat_id = request.app[SERVICES], _chat_id(request)
    if request.content_length and request.content_length > MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=request.content_length)
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="JSON expected")
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="JSON object expected")
    message = _incoming(chat_id, body)
    async with request.app[LOCKS].setdefault(chat_id, asyncio.Lock()):  # one chat's messages in order
        lang = await services.conversation.chat_language(message)
        shown = message.text or message.payload
        if shown.strip().lower() != "/start":  # the page sends it by itself on a new chat
            await services.chat.add(chat_id, "employer", {"text": shown[:4000]})
        if not request.app[FLOOD].allow(chat_id):
            await services.chat.add(chat_id, "bot", {"text": FLOOD_NOTE.get(lang, FLOOD_NOTE["de"])})
        else:
            replies = await services.conversation.handle(message)
            if any(reply.erased for reply in replies):
                await services.chat.delete_chat(chat_id)   # /delete: the transcript goes too
                return web.json_response({"messages": [reply_json(r) | {"role": "bot"} for r in replies],
                                          "reset": True})
            for reply in replies:
                await services.chat.add(chat_id, "bot", reply_json(reply))
        if len(request.app[LOCKS]) > 10_000:
            request.app[LOCKS].clear()
    return web.json_response({"messages": await services.chat.since(chat_id, _after(body.get("after")))})


def add_routes(app: web.Application, flood_limit: int) -> None:
    """The web chat's routes (mounted under /chat); public, identified by the chat token."""
    app[FLOOD] = ChatFlood(flood_limit)
    app[LOCKS] = {}
    r = app.router
    r.add_get("/", page, name="chat.page")
    r.add_post("/api/new", new_chat, name="chat.new")
    r.add_get("/api/messages", messages, name="chat.messages")
    r.add_post("/api/send", send, name="chat.send")
