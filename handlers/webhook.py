"""The webhook server (aiohttp): Telegram posts updates here; operators and proxies ask /healthz.

PTB's custom-webhook pattern, with one change: the route checks the secret header, hands the update
to the Application's update processor (per-chat order, bounded concurrency) and answers 200 once the
update is processed, or after `answer_within` seconds at the latest, the processing going on.

Why not answer at once, as PTB's example does: Telegram keeps at most `max_connections` (setWebhook,
default 40) requests open and sends the next update on a connection only after the answer. Answering
after processing lets that limit pace the bot, and updates waiting for a slow bot stay with Telegram
instead of piling up in this process's memory, where a restart would lose them and each would
wait behind all the others (measured: bench/webhook_bench.py, docs/telegram.md section 7).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.text_input import load_json

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram gives up on a webhook call after about a minute and delivers the update again; an update
# held up longer (a 429 being waited out) is answered earlier and finishes in the background.
ANSWER_WITHIN_SECONDS = 10.0


class WebhookServer:
    """Serves the update endpoint at `path` and GET /healthz on one host and port."""

    def __init__(self, application: Application, path: str | None, secret: str, healthy: Callable[[], Awaitable[bool]],
                 extend: Callable[[web.Application], None] | None = None,
                 answer_within: float = ANSWER_WITHIN_SECONDS):
        self.application = application
        self.answer_within = answer_within
        self.extend = extend   # adds more routes to the same server: the web chat and console (handlers/web)
        self.path = path
        self._secret = secret.encode()
        self._healthy = healthy
        self._runner: web.AppRunner | None = None

    def web_app(self) -> web.Application:
        app = web.Application()
        if self.path is not None:  # None: polling mode, the server carries only health and the web pages
            app.router.add_post(self.path, self.receive)
        app.router.add_get("/healthz", self.health)
        if self.extend is not None:
            self.extend(app)
        return app

    async def receive(self, request: web.Request) -> web.Response:
        """Take one update: 403 without the right secret, 400 for a body that is no update."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            log.warning("webhook call from %s without the right secret token", request.remote)
            return web.Response(status=403, text="wrong or missing secret token")
        if not self.application.running:
            return web.Response(status=503, text="starting or stopping")  # Telegram delivers again later
        try:
            update = Update.de_json(load_json(await request.read()), self.application.bot)  # depth-bounded
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            log.warning("webhook body is not an update")
            return web.Response(status=400, text="not a Telegram update")
        application = self.application
        processing = application.create_task(  # create_task: errors reach the error handler, stop() waits for it
            application.update_processor.process_update(update, application.process_update(update)),
            update=update, name="webhook update")
        await asyncio.wait({processing}, timeout=self.answer_within)  # a timeout leaves it running
        return web.Response(status=200)

    async def health(self, request: web.Request) -> web.Response:
        ok = await self._healthy()
        return web.json_response({"status": "ok" if ok else "unavailable"}, status=200 if ok else 503)

    async def start(self, host: str, port: int) -> None:
        self._runner = web.AppRunner(self.web_app(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()

    @property
    def address(self) -> tuple[str, int]:
        """The host and port actually bound (port 0 in the configuration picks a free one)."""
        host, port = self._runner.addresses[0][:2]
        return host, port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
