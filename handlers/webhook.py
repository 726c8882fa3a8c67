"""The Telegram webhook route (aiohttp): Telegram posts updates here.

PTB's custom-webhook pattern, with one change: the route checks the secret header, hands the update
to the Application's update processor (per-chat order, bounded concurrency) and answers 200 once the
update is processed, or after `answer_within` seconds at the latest, the processing going on.

Why not answer at once, as PTB's example does: Telegram keeps at most `max_connections` (setWebhook,
default 40) requests open and sends the next update on a connection only after the answer. Answering
after processing lets that limit pace the bot, and updates waiting for a slow bot stay with Telegram
instead of piling up in this process's memory, where a restart would lose them and each would
wait behind all the others (figures: docs/performance.md).
"""

from __future__ import annotations

import asyncio
import hmac
import logging

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.text_input import load_json

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram gives up on a webhook call after about a minute and delivers the update again; an update
# held up longer (a 429 being waited out) is answered earlier and finishes in the background.
ANSWER_WITHIN_SECONDS = 10.0


class TelegramWebhook:
    """The update endpoint; the runtime's server carries it next to /healthz and the web pages."""

    def __init__(self, application: Application, secret: str, answer_within: float = ANSWER_WITHIN_SECONDS):
        self.application = application
        self.answer_within = answer_within
        self._secret = secret.encode()

    async def receive(self, request: web.Request) -> web.Response:
        """Take one update: 403 without the right secret, 400 for a body that is no update."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            log.warning("webhook call from %s without the right secret token", request.remote)
            return web.Response(status=403, text="wrong or missing secret token")
        if not self.application.running:
            return web.Response(status=503, text="starting or stopping")  # Telegram delivers again later
        try:
            body = load_json(await request.read())  # depth-bounded
            if not isinstance(body, dict):
                raise TypeError("an update is a JSON object")
            update = Update.de_json(body, self.application.bot)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            log.warning("webhook body is not an update")
            return web.Response(status=400, text="not a Telegram update")
        application = self.application
        processing = application.create_task(  # create_task: errors reach the error handler, stop() waits for it
            application.update_processor.process_update(update, application.process_update(update)),
            update=update,
            name="webhook update",
        )
        await asyncio.wait({processing}, timeout=self.answer_within)  # a timeout leaves it running
        return web.Response(status=200)
