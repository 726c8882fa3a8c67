"""One runtime per process: what the process shares, built once, and the channels plugged into it.

The runtime owns the configuration, one database engine (migrated once, before anything else
touches it), the FAQ with its watcher and the classifier trained on it, the dialogue, the ticket
desk (its outbox worker and reminders), the retention purge, one HTTP client session, and one
aiohttp application served on LOTSE_LISTEN with /healthz and /metrics. Channels (terminal, web
chat and console, Telegram, WhatsApp) plug into it: each converts its platform's payloads into
`IncomingMessage`, renders the dialogue's replies, and gives the outbox a sender for its chats.

Order of life: database and migration, FAQ and classifier, dialogue and ticket desk, channels
attach (routes, senders), HTTP server, channels start, background tasks; stopped in reverse.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol

import aiohttp
from aiohttp import web

from bot.app import Core, build_core
from bot.chat_order import ChatTurns, turns_for
from bot.config import Config
from bot.db import Database, DbChatStore, open_database, prepare
from bot.dialogue import Dialogue
from bot.knowledge import KnowledgeBase
from bot.metrics import CONTENT_TYPE_LATEST, OUTBOX_BACKLOG, generate_latest
from bot.retention import keep_purging
from bot.tickets.desk import TicketDesk
from bot.tickets.outbox import Sender, backlog_by_channel

log = logging.getLogger(__name__)


class ChannelError(Exception):
    """A channel cannot start as configured (a wrong token, an unreachable platform); the message says why."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


class ListenError(OSError):
    """The server cannot listen where configured (the address is taken, or not this machine's)."""


class Channel(Protocol):
    """A platform plugged into the runtime."""

    name: str

    async def attach(self, runtime: Runtime) -> None:
        """Before the server starts: add routes to `runtime.web_app`, senders with `runtime.add_sender`."""

    async def start(self) -> None:
        """Start receiving (polling, a terminal prompt); webhooks receive through their routes."""

    async def stop(self) -> None:
        """Stop receiving; what is in flight finishes."""

    def describe(self) -> str:
        """One line for the start-up banner (where it listens, which account)."""


@dataclass
class Runtime:
    """Everything one process shares; built by `running()`."""

    config: Config
    database: Database
    core: Core
    desk: TicketDesk | None
    http: aiohttp.ClientSession
    web_app: web.Application
    channels: Sequence[Channel] = ()
    senders: dict[str, Sender] = field(default_factory=dict)
    ready: bool = False
    runner: web.AppRunner | None = None
    # a chat's updates one at a time: in this process (SQLite) or across processes (PostgreSQL)
    chat_turns: ChatTurns = field(default_factory=ChatTurns)
    tasks: list[asyncio.Task] = field(default_factory=list)

    @property
    def dialogue(self) -> Dialogue:
        return self.core.dialogue

    def add_sender(self, channel: str, sender: Sender) -> None:
        """Let the outbox deliver `channel`'s rows (team answers, notices) through `sender`."""
        self.senders[channel] = sender
        if self.desk is not None:
            self.desk.worker.wake()

    def background(self, coroutine, name: str) -> asyncio.Task:
        """Run `coroutine` until the runtime stops (cancelled then, outside its database transactions)."""
        task = asyncio.create_task(coroutine, name=name)
        self.tasks.append(task)
        return task

    @property
    def address(self) -> tuple[str, int] | None:
        """The host and port the HTTP server bound (port 0 in the configuration picks a free one)."""
        if self.runner is None or not self.runner.addresses:
            return None
        host, port = self.runner.addresses[0][:2]
        return host, port

    @property
    def url(self) -> str:
        address = self.address
        if address is None:
            return ""
        host, port = address
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    async def healthy(self) -> bool:
        return self.ready and await self.database.ping()

    async def _health(self, request: web.Request) -> web.Response:
        ok = await self.healthy()
        return web.json_response({"status": "ok" if ok else "unavailable"}, status=200 if ok else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        try:
            backlog = await backlog_by_channel(self.database)
        except Exception:  # the scrape still shows the counters when the database is briefly away
            log.warning("outbox backlog not readable for /metrics", exc_info=True)
        else:
            for channel in set(self.senders) | set(backlog):
                OUTBOX_BACKLOG.labels(channel).set(backlog.get(channel, 0))
        return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


async def _build_core(
    config: Config, database: Database, knowledge: KnowledgeBase | None, stack: AsyncExitStack
) -> Core:
    store = DbChatStore(database)
    if knowledge is not None:  # lent by the caller (tests): the caller closes it
        return Core(config, knowledge, store, Dialogue(config, knowledge, store))
    core = await asyncio.to_thread(build_core, config, store)  # trains the classifier: keep the loop free
    stack.push_async_callback(core.close)
    core.start()  # watches faq/ for edits (faq.reload_seconds); core.close stops it
    return core


async def _cancel(database: Database, tasks: list[asyncio.Task]) -> None:
    await database.cancel_between_transactions(tasks)  # a task cut inside one leaves the driver mid-call
    tasks.clear()


@asynccontextmanager
async def running(
    config: Config,
    channels: Sequence[Channel] = (),
    *,
    knowledge: KnowledgeBase | None = None,
    serve_http: bool = True,
    host: str | None = None,
    port: int | None = None,
    reminders: bool = True,
) -> AsyncIterator[Runtime]:
    """Start the runtime and `channels`; stop them in reverse on leaving.

    Args:
        channels: the platforms to serve, in the order they attach and start.
        knowledge: an already trained knowledge base to use (tests); default: build and train one.
        serve_http: serve the aiohttp application (health, metrics, the channels' routes) on
            LOTSE_LISTEN, or on `host`/`port` when given (port 0: a free one).
        reminders: run the ticket reminders (a second process on the same database may leave them off).

    Raises:
        DatabaseError: the database cannot be used, or its schema is old and migrate is off.
        FaqError: the FAQ has errors.
        ListenError: the server cannot listen where configured.
        Whatever a channel's attach or start raises (a wrong Telegram token: telegram.error.InvalidToken).
    """
    async with AsyncExitStack() as stack:
        database = open_database(config)
        stack.push_async_callback(database.dispose)
        await prepare(database, migrate=config.database.migrate)  # once, before anything else uses it
        core = await _build_core(config, database, knowledge, stack)
        http = aiohttp.ClientSession()
        stack.push_async_callback(http.close)
        senders: dict[str, Sender] = {}
        desk = TicketDesk.build(database, config, senders) if config.tickets.enabled else None
        if desk is not None:
            core.dialogue.attach_handover(desk.handover)
        runtime = Runtime(
            config,
            database,
            core,
            desk,
            http,
            web.Application(),
            tuple(channels),
            senders,
            chat_turns=turns_for(database, config.database.pool_size),
        )
        runtime.web_app.router.add_get("/healthz", runtime._health)
        runtime.web_app.router.add_get("/metrics", runtime._metrics)
        for channel in channels:
            await channel.attach(runtime)
            stack.push_async_callback(channel.stop)  # stop copes with a channel that never started

        if serve_http:
            runtime.runner = web.AppRunner(runtime.web_app, access_log=None)
            await runtime.runner.setup()
            stack.push_async_callback(runtime.runner.cleanup)
            listen = config.telegram
            try:
                await web.TCPSite(
                    runtime.runner, host or listen.listen_host, listen.listen_port if port is None else port
                ).start()
            except OSError as exc:  # only this is "cannot listen"; other OSErrors say what they are
                raise ListenError(exc.errno, exc.strerror or str(exc)) from exc
        for channel in channels:
            await channel.start()

        if desk is not None:  # the outbox worker and the reminders
            desk.start(reminders=reminders)
            stack.push_async_callback(desk.stop)
        runtime.background(keep_purging(database, config.retention), "retention")
        stack.push_async_callback(_cancel, database, runtime.tasks)
        runtime.ready = True
        stack.callback(setattr, runtime, "ready", False)  # /healthz says 503 from the first moment of stopping
        yield runtime
