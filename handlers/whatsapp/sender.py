"""The outbox's sender for channel "whatsapp": asks the window rules what to do with a row, renders
and sends it, and maps Meta's error codes to the outbox's actions (../shared/whatsapp.md §1.9):

- 130429 (the number's throughput): every chat waits (`rate_limit_pause_seconds`).
- 131056 (pair rate): this chat waits at least 6 s; the others go on.
- 131047 (window closed): the row goes the template way, once (bot/window).
- 190 and the other account codes: an alert in the log, sending stops for `auth_pause_seconds`.
- 1, 2, 131000, 131016, 5xx, network: retried with the outbox's backoff.
- 131026 and the other permanent codes: failed, with the reason the console shows.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import NoReturn

from bot.config import WhatsAppSettings
from bot.db.models import utcnow
from bot.messages import Reply
from bot.tickets.files import FileStore
from bot.tickets.outbox import (
    Delivery,
    Held,
    OutboxItem,
    RetryLater,
    Undeliverable,
    payload_reply,
)
from bot.window.deliveries import WINDOW_CLOSED, Sent
from bot.window.service import (
    REMINDERS,
    Action,
    Hold,
    Plan,
    WindowService,
)
from handlers.whatsapp.graph import GraphClient, GraphError
from handlers.whatsapp.render import json_reply, render_turn

log = logging.getLogger(__name__)

THROTTLED = frozenset({4, 80007, 133016})
TRANSIENT = frozenset({1, 2, 131000, 131016})
ACCOUNT = frozenset({0, 3, 10, 190, 368, 131031, 130497, 131042, 131037, 131030}) | frozenset(range(200, 300))
TEMPLATE_STATE = frozenset({132015, 132016, 131049})
IMAGE_LIMIT = 5 * 1024 * 1024  # Meta's limit for an image message; a larger photo goes as a document


def replies_of(item: OutboxItem) -> list[Reply]:
    """A dialogue turn (several replies) or one message from the ticket service."""
    if "turn" in item.payload:
        return [json_reply(data) for data in item.payload["turn"]]
    return [payload_reply(item.payload)]


class WhatsAppSender:
    """Delivers outbox rows to WhatsApp through the Graph API."""

    def __init__(
        self,
        graph: GraphClient,
        window: WindowService,
        settings: WhatsAppSettings,
        clock: Callable[[], datetime] = utcnow,
        files: FileStore | None = None,
    ):
        self.files = files  # the teams' stored files (kind "file")
        self.graph = graph
        self.window = window
        self.settings = settings
        self.clock = clock
        self._paused_until = clock()  # 130429 or an account problem: the whole number waits until then

    async def send(self, item: OutboxItem) -> Delivery:
        wait = (self._paused_until - self.clock()).total_seconds()
        if wait > 0:
            raise RetryLater("the number is paused (130429 or an account problem)", wait)
        plan = await self.window.plan(item)
        if plan.action is Action.SKIP:
            raise Undeliverable(plan.reason)
        if plan.action is Action.TEMPLATE:
            await self._template(item, plan)
            plan = Plan(Action.HOLD, Hold.TEMPLATE_SENT, plan.window)
        if plan.action is Action.HOLD:
            raise Held(f"waiting for the employer to write: {plan.reason}", self.settings.hold_hours * 3600)
        return await self._messages(item, plan)

    async def _messages(self, item: OutboxItem, plan: Plan) -> Delivery:
        try:
            parts = render_turn(replies_of(item), item.lang, self.settings.limits)
        except ValueError as exc:
            raise Undeliverable(f"cannot be rendered within WhatsApp's limits: {exc}") from exc
        sent: list[Sent] = [await self._file(item, plan)] if item.kind == "file" else []
        for part in parts:
            body = {
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                **plan.window.recipient(),
                **part.body,
            }
            try:
                wamid = await self.graph.send(body)
            except GraphError as exc:
                await self.window.record(item.id, plan.window, sent)  # what went out before stays known
                await self._failed(item, exc)
            sent.append(Sent(wamid, part.kind, False if part.choices is None else part.choices))
        return Delivery(
            sent[-1].wamid if sent else None,
            records=functools.partial(self.window.write_records, outbox_id=item.id, window=plan.window, sent=sent),
        )

    async def _file(self, item: OutboxItem, plan: Plan) -> Sent:
        """A team's file: uploaded to /media, sent as a document (or an image up to Meta's 5 MB); the
        answer's text and buttons follow as the usual message."""
        stored = await self.files.load(int(item.payload["file"]["id"])) if self.files else None
        if stored is None:
            raise Undeliverable("the file is no longer stored (deleted, or past the retention)")
        kind = "image" if stored.as_photo and stored.size <= IMAGE_LIMIT else "document"
        media: dict[str, str] = {"filename": stored.name} if kind == "document" else {}
        try:
            media["id"] = await self.graph.upload(stored.name, stored.mime, stored.data)
            body = {"messaging_product": "whatsapp", "recipient_type": "individual", **plan.window.recipient()}
            wamid = await self.graph.send(body | {"type": kind, kind: media})
        except GraphError as exc:
            await self._failed(item, exc)
        return Sent(wamid, kind)

    async def _template(self, item: OutboxItem, plan: Plan) -> None:
        """Tell the employer, with the approved template, that the team answered ticket #n."""
        template = self.settings.template
        number = str(item.ticket_id or "")
        body = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            **plan.window.recipient(),
            "type": "template",
            "template": {
                "name": template.name,
                "language": {"code": template.language},
                "components": [
                    {"type": "body", "parameters": [{"type": "text", "text": f"#{number}"}]},
                    {
                        "type": "button",
                        "sub_type": "quick_reply",
                        "index": "0",
                        "parameters": [{"type": "payload", "payload": f"show_answer:{number}"}],
                    },
                ],
            },
        }
        try:
            wamid = await self.graph.send(body)
        except GraphError as exc:
            if exc.code in TEMPLATE_STATE or (exc.code is not None and not self._retryable(exc)):
                log.error("whatsapp template %s refused for %s: %s", template.name, item.chat_id, exc)
                await self.window.template_sent(item.chat_id, problem=str(exc))
                return
            await self._failed(item, exc)
        await self.window.record(item.id, plan.window, [Sent(wamid, "template")])
        await self.window.template_sent(item.chat_id)

    def _retryable(self, exc: GraphError) -> bool:
        return exc.code in THROTTLED | TRANSIENT | ACCOUNT | {130429, 131056}

    async def _failed(self, item: OutboxItem, exc: GraphError) -> NoReturn:
        """Turn Meta's error into the outbox's action; always raises."""
        code = exc.code
        if code == 130429 or code in THROTTLED:
            pause = self.settings.rate_limit_pause_seconds
            self._paused_until = max(self._paused_until, self.clock() + timedelta(seconds=pause))
            raise RetryLater(f"{exc} (the whole number waits)", pause) from exc
        if code == 131056:
            raise RetryLater(f"{exc} (this chat waits)", self.settings.pair_rate_pause_seconds) from exc
        if code == WINDOW_CLOSED:
            await self.window.closed_by_whatsapp(item.chat_id)
            if item.purpose not in REMINDERS and await self.window.convert(item.id):
                raise RetryLater(f"{exc}: converted to the template path", 0) from exc
            raise Undeliverable(f"{exc} (the 24-hour window is closed)") from exc
        if code in ACCOUNT:
            log.critical(
                "WhatsApp refused the access token or account (%s): sending stops for %.0f s; "
                "check WHATSAPP_ACCESS_TOKEN and the Meta app",
                exc,
                self.settings.auth_pause_seconds,
            )
            self._paused_until = self.clock() + timedelta(seconds=self.settings.auth_pause_seconds)
            raise RetryLater(str(exc), self.settings.auth_pause_seconds) from exc
        if code is None or code in TRANSIENT or (exc.http_status or 0) >= 500:
            raise RetryLater(str(exc)) from exc
        raise Undeliverable(str(exc)) from exc
