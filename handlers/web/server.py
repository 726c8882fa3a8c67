"""The standalone web server: `python -m bot run` without a Telegram token.

Serves the web chat (/chat/), the console (/console/) and /healthz on LOTSE_LISTEN, with the
database, the core and an outbox worker for the "web" channel, all started here in order and
stopped in reverse.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from aiohttp import web

from bot.app import Core, build_core, tune_runtime_for_serving, stop_on_signals
from bot.config import Config
from bot.db import Database, DatabaseError, DbChatStore, prepare, redacted
from bot.dialogue import Dialogue
from bot.knowledge import KnowledgeBase
from bot.retention import keep_purging
from bot.db.models import utcnow
from bot.tickets.outbox import OutboxWorker
from bot.tickets.reminders import TicketReminders
from handlers.web.app import setup_web
from handlers.web.chat_store import CHANNEL, WebChatStore, WebSender
from handlers.web.security import session_key
from handlers.web.services import WebServices, build_services

log = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 3600


@dataclass
class WebServer:
    services: WebServices
    runner: web.AppRunner
    tasks: list[asyncio.Task] = field(default_factory=list)

    @property
    def url(self) -> str:
        host, port = self.runner.addresses[0][:2]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}"


def web_sender(database: Database) -> WebSender:
    """The outbox's sender for the "web" channel (for a process that runs its own worker)."""
    return WebSender(WebChatStore(database))


async def _prune(store: WebChatStore, days: float) -> None:
    while True:
        try:
            removed = await store.prune(timedelta(days=days))
            if removed:
                log.info("removed %d web chat messages past the retention", removed)
        except Exception:  # housekeeping never ends the server
            log.exception("pruning web chat messages failed")
        await asyncio.sleep(PRUNE_EVERY_SECONDS)


async def _core(config: Config, database: Database, knowledge: KnowledgeBase | None, stack: AsyncExitStack) -> Core:
    store = DbChatStore(database)
    if knowledge is not None:  # lent by the caller (tests): the caller closes it
        return Core(config, knowledge, store, Dialogue(config, knowledge, store))
    core = await asyncio.to_thread(build_core, config, store)
    stack.push_async_callback(core.close)
    core.start()  # watches faq/ for edits (faq.reload_seconds); core.close stops it
    return core


@asynccontextmanager
async def serving(config: Config, knowledge: KnowledgeBase | None = None, host: str | None = None,
                  port: int | None = None) -> AsyncIterator[WebServer]:
    """Start the web server; stop it on leaving.

    Args:
        knowledge: an already trained knowledge base (tests); default: build one.
        host, port: override telegram.listen (port 0: a free port).

    Raises:
        DatabaseError, FaqError, OSError (cannot listen).
    """
    async with AsyncExitStack() as stack:
        database = Database.for_config(config)
        stack.push_async_callback(database.dispose)
        await prepare(database, migrate=config.database.migrate)
        core = await _core(config, database, knowledge, stack)
        worker = OutboxWorker(database, {CHANNEL: web_sender(database)}, config.tickets.outbox)
        services = build_services(config, database, core, session_key(config), on_commit=worker.wake)

        app = web.Application()
        setup_web(app, services)

        async def health(request: web.Request) -> web.Response:
            ok = await database.ping()
            return web.json_response({"status": "ok" if ok else "unavailable"}, status=200 if ok else 503)

        app.router.add_get("/healthz", health)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        listen = config.telegram
        await web.TCPSite(runner, host or listen.listen_host, listen.listen_port if port is None else port).start()
        server = WebServer(services, runner)
        server.tasks.append(asyncio.create_task(worker.run(), name="web-outbox"))
        server.tasks.append(asyncio.create_task(_prune(services.chat, config.web.chat_retention_days),
                                                name="web-prune"))
        server.tasks.append(asyncio.create_task(keep_purging(database, config.retention), name="retention"))
        # Without Telegram nobody else reminds: re-announce, "not forgotten" notes, closing quiet tickets.
        reminders = TicketReminders(services.tickets, config.tickets.reminders, utcnow)
        server.tasks.append(asyncio.create_task(reminders.run(), name="ticket-reminders"))
        stack.push_async_callback(_cancel, server.tasks)
        yield server


async def _cancel(tasks: list[asyncio.Task]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def run(config: Config, stop: asyncio.Event | None = None) -> int:
    """Serve until SIGINT/SIGTERM (or `stop`); returns the exit code. FaqError propagates."""
    stop = stop or asyncio.Event()
    stop_on_signals(stop)
    try:
        async with serving(config) as server:
            tune_runtime_for_serving()
            print(f"Lotse is running without Telegram (no TELEGRAM_BOT_TOKEN).\n"
                  f"  web chat: {server.url}/chat/\n  console:  {server.url}/console/  "
                  f"(accounts: python -m bot users add NAME --team authority)\n"
                  f"  database: {redacted(server.services.database.url)}\nStop with Ctrl+C.", file=sys.stderr)
            await stop.wait()
    except DatabaseError as exc:
        print(f"database error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"cannot serve on {config.telegram.listen}: {exc}", file=sys.stderr)
        return 1
    print("Lotse stopped.", file=sys.stderr)
    return 0
