"""The WhatsApp channel: GET/POST /whatsapp/webhook, each message a dialogue turn into the outbox.

Handlers talk, services decide: the webhook checks the signature, converts the body
(convert.py), and per message claims its wamid (Inbox: atomic, so Meta's duplicates and
retries are answered once), asks the dialogue, and tells the window rules (bot/window) in one
write that the employer wrote and what the answer is: the window reopens, held messages become
due and the turn goes into the outbox, where the WhatsApp sender (sender.py) delivers it in order.
Status webhooks update the deliveries; they never start a conversation.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from datetime import datetime

import aiohttp
from aiohttp import web

from bot.config import Config
from bot.db import Database, Inbox
from bot.db.models import utcnow
from bot.messages import IncomingMessage, Kind, Reply
from bot.text_input import load_json
from bot.texts import t
from bot.tickets.files import FileStore
from bot.window.consent import NotifyConsent, say
from bot.window.service import CHANNEL, WindowService, is_stop
from bot.window.turns import Turn
from handlers.whatsapp.convert import Inbound, Status, events
from handlers.whatsapp.graph import GraphClient
from handlers.whatsapp.render import reply_json
from handlers.whatsapp.sender import WhatsAppSender
from handlers.whatsapp.signature import HEADER, Verdict, challenge, verify

log = logging.getLogger(__name__)

PATH = "/whatsapp/webhook"
SHOW_ANSWER = "show_answer:"  # the template's quick-reply button


class WhatsAppWebhook:
    """Turns webhook calls into dialogue turns and delivery updates."""

    def __init__(self, config: Config, dialogue, inbox: Inbox, window: WindowService):
        self.settings = config.whatsapp
        self.default_lang = config.languages.default
        self.dialogue = dialogue  # .handle(IncomingMessage) -> list[Reply], .chat_language(message)
        self.inbox = inbox
        self.window = window
        self._locks: dict[str, asyncio.Lock] = {}
        self._running: set[asyncio.Task] = set()
        if self.settings.app_secret is None or self.settings.verify_token is None:
            raise ValueError("WHATSAPP_APP_SECRET and WHATSAPP_VERIFY_TOKEN must be set")
        self._app_secret = self.settings.app_secret.get_secret_value()
        self._verify_token = self.settings.verify_token.get_secret_value()

    def add_routes(self, app: web.Application, path: str = PATH) -> None:
        app.router.add_get(path, self.handshake)
        app.router.add_post(path, self.receive)

    async def handshake(self, request: web.Request) -> web.Response:
        """Meta's verification GET: echo the challenge for the right token, else 403."""
        echo = challenge(request.query, self._verify_token)
        if echo is None:
            return web.Response(status=403, text="wrong verify token")
        return web.Response(text=echo, content_type="text/plain")

    async def receive(self, request: web.Request) -> web.Response:
        """A signed webhook call: every message and status in it, then 200."""
        if (request.content_length or 0) > self.settings.max_body_bytes:
            return web.Response(status=413, text="too large")
        raw = await request.read()
        verdict = verify(raw, request.headers.get(HEADER), self._app_secret)
        if verdict is not Verdict.OK:
            log.warning("whatsapp webhook from %s: signature %s", request.remote, verdict)
            return web.Response(status=401 if verdict is Verdict.MISSING else 403, text=f"signature {verdict}")
        try:
            body = load_json(raw)  # depth-bounded (bot/text_input.py)
        except (ValueError, RecursionError):
            return web.Response(status=400, text="not JSON")
        if not isinstance(body, dict):
            return web.Response(status=400, text="not a webhook body")
        messages, statuses = events(body)
        for status in statuses:
            await self.on_status(status)
        if not messages:
            return web.Response(status=200)
        # Answered once processed, or after answer_within_seconds with the processing going on: Meta wants
        # a median under 250 ms and under 1 % over 1 s, and retries what is not answered [BSP1].
        tasks = [asyncio.create_task(self.take(inbound), name="whatsapp message") for inbound in messages]
        for task in tasks:
            self._running.add(task)
            task.add_done_callback(self._finished)
        done, _ = await asyncio.wait(tasks, timeout=self.settings.answer_within_seconds)
        failed = [task for task in done if not task.cancelled() and task.exception() is not None]
        return web.Response(status=500 if failed else 200)  # 500: Meta delivers again; done ones are skipped

    def _finished(self, task: asyncio.Task) -> None:
        self._running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("whatsapp message failed", exc_info=task.exception())

    async def drain(self, timeout: float = 10) -> None:
        """Let messages still being processed finish (the process is stopping)."""
        if self._running:
            await asyncio.wait(set(self._running), timeout=timeout)

    async def on_status(self, status: Status) -> None:
        outcome = await self.window.status(
            status.wamid, status.status, status.chat_id, status.at, status.error_code, status.error_title
        )
        if outcome:
            log.info("whatsapp %s %s (%s): outbox row %s", status.wamid, status.status, status.error_code, outcome)

    async def take(self, inbound: Inbound) -> None:
        """One employer message: once per wamid, in order per chat; the window and the answer in one write."""
        message = inbound.message
        lock = self._locks.setdefault(message.chat_id, asyncio.Lock())
        async with lock:
            if not await self.inbox.claim(CHANNEL, message.external_id):
                log.info("whatsapp %s was delivered again; skipped", message.external_id)
                return
            message = await self._numbered(message)
            replies = await self.answer(message)
            lang = await self.dialogue.chat_language(message)
            tap = message.kind is Kind.BUTTON and message.payload.startswith(SHOW_ANSWER)
            await self.window.take(
                Turn(
                    message.chat_id,
                    inbound.phone,
                    inbound.at,
                    [reply_json(r) for r in replies],
                    lang,
                    dedup_key=f"whatsapp:{message.external_id}",
                    notice=reply_json(Reply(say("notice", lang))),
                    # The held answers are released by the tap itself: they are the visible reply.
                    if_nothing_released=reply_json(Reply(say("nothing_waiting", lang))) if tap else None,
                    erased=any(reply.erased for reply in replies),
                )
            )
        if len(self._locks) > 10_000 and not lock.locked():
            self._locks.clear()

    async def _numbered(self, message: IncomingMessage) -> IncomingMessage:
        """A typed "2" after numbered choices is the second choice."""
        if message.kind is not Kind.TEXT or not message.text.strip()[:4].rstrip(".)").isdigit():
            return message
        payload = await self.window.choice(message.chat_id, message.text)
        return dataclasses.replace(message, kind=Kind.BUTTON, payload=payload) if payload else message

    async def answer(self, message: IncomingMessage) -> list[Reply]:
        """What Lotse says: STOP and the template's button are the channel's; the rest is the dialogue's."""
        if message.kind is Kind.TEXT and is_stop(message.text):
            await self.window.revoke(message.chat_id)
            return [Reply(say("stopped", await self.dialogue.chat_language(message)))]
        if message.kind is Kind.BUTTON and message.payload.startswith(SHOW_ANSWER):
            return []  # the held answers, or "nothing waiting" (WindowService.take)
        replies = await self.dialogue.handle(message)
        if not replies and message.kind is Kind.BUTTON:  # every tap gets a visible reply
            replies = [Reply(t("unknown_button", await self.dialogue.chat_language(message)))]
        return replies


@dataclasses.dataclass
class WhatsApp:
    """The channel's pieces, built for one process."""

    webhook: WhatsAppWebhook
    sender: WhatsAppSender
    window: WindowService


def build_whatsapp(
    config: Config,
    dialogue,
    database: Database,
    desk,
    session: aiohttp.ClientSession,
    clock: Callable[[], datetime] = utcnow,
) -> WhatsApp:
    """Wire WhatsApp onto a process's dialogue, database, ticket desk and HTTP session.

    Registers what the rest of Lotse needs to know: the notify question in the hand-over flow,
    the chat's erasure in /delete. The caller adds `sender` to the outbox's senders as "whatsapp"
    and the routes to the web application (`webhook.add_routes`).
    """
    window = WindowService(database, config.whatsapp, clock=clock, on_release=desk.worker.wake)
    handover = getattr(dialogue, "handover", None) or desk.handover
    handover.notify = NotifyConsent(window)
    if window.erase not in desk.service.erasers:
        desk.service.erasers.append(window.erase)
    files = FileStore(database)  # a team's file to the employer (bot/tickets/files.py)
    sender = WhatsAppSender(GraphClient(session, config.whatsapp), window, config.whatsapp, clock=clock, files=files)
    webhook = WhatsAppWebhook(config, dialogue, Inbox(database), window)
    return WhatsApp(webhook, sender, window)


class WhatsAppChannel:
    """WhatsApp as a channel of the runtime (bot/runtime.py): on when WHATSAPP_ACCESS_TOKEN is set."""

    name = CHANNEL

    def __init__(self, config: Config, clock: Callable[[], datetime] = utcnow):
        self.config = config
        self.clock = clock
        self.runtime = None
        self.parts: WhatsApp | None = None

    async def attach(self, runtime) -> None:
        """Add /whatsapp/webhook to the runtime's server and the "whatsapp" sender to its outbox."""
        from bot.runtime import ChannelError

        if runtime.desk is None:
            raise ChannelError(
                "WhatsApp needs the ticket queue (tickets.enabled: true): its replies go through "
                "the outbox, which keeps them in order, retries them and holds them for the "
                "24-hour window"
            )
        self.runtime = runtime
        self.parts = build_whatsapp(
            runtime.config, runtime.dialogue, runtime.database, runtime.desk, runtime.http, clock=self.clock
        )
        self.parts.webhook.add_routes(runtime.web_app)
        runtime.add_sender(CHANNEL, self.parts.sender)

    async def start(self) -> None:
        return None  # Meta posts to the webhook: nothing to poll

    async def stop(self) -> None:
        """Messages taken but still being answered finish before the runtime closes the database."""
        if self.parts is not None:
            await self.parts.webhook.drain()

    def describe(self) -> str:
        url = self.runtime.url if self.runtime is not None else ""
        settings = self.config.whatsapp
        return (
            f"WhatsApp webhook {url}{PATH} (number {settings.phone_number_id}, Graph {settings.graph_version}, "
            f"{settings.api_base_url})"
        )
