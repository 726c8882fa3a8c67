"""The Telegram bot's composition root: PTB Application, database, core, handlers, and their life.

`running(config)` starts everything in order and stops it in reverse; `run(config)` is what
`python -m bot run` calls. With a custom webhook server PTB does not call post_init/post_shutdown,
so everything started here is also stopped here, explicitly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

from aiolimiter import AsyncLimiter
from telegram import Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import (AIORateLimiter, Application, BaseUpdateProcessor, CallbackQueryHandler, MessageHandler,
                          TypeHandler, filters)

from bot.app import Core, build_core, tune_runtime_for_serving, stop_on_signals
from bot.config import Config
from bot.db import Database, DatabaseError, DbChatStore, Inbox, prepare, redacted
from bot.dialogue import Dialogue
from bot.knowledge import KnowledgeBase
from bot.retention import keep_purging
from bot.tickets.desk import TicketDesk
from handlers.telegram import FloodGuard, TelegramChannel
from handlers.telegram_request import AiohttpRequest
from handlers.telegram_staff import StaffChannel, TelegramSender
from handlers.webhook import WebhookServer

log = logging.getLogger(__name__)

# Opt into PTB's coming behaviour (RetryAfter.retry_after as a timedelta): without it PTB itself
# warns on every 429. Nothing here reads retry_after as a number; AIORateLimiter handles both.
os.environ.setdefault("PTB_TIMEDELTA", "true")

ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]
# 32 connections carry ~300 requests/s at Telegram's ~100 ms per call, far above its ~30 messages/s;
# a request finding all busy waits for one (up to HTTP_POOL_TIMEOUT) instead of failing after 1 s.
HTTP_CONNECTIONS = 32
HTTP_POOL_TIMEOUT = 10.0


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Different chats in parallel, each chat's updates one after the other and in order."""

    def __init__(self, max_concurrent_updates: int):
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        self._users[chat.id] = self._users.get(chat.id, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._users[chat.id] -= 1
            if not self._users[chat.id]:
                del self._users[chat.id], self._locks[chat.id]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


class PerChatRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter (overall and per-group limits, 429s waited out) plus Telegram's
    per-chat pace: about one message a second in a private chat, short bursts allowed.

    PTB has no per-chat limiter; without it a multi-part answer plus its buttons can earn a 429
    that then pauses every chat.
    """

    MAX_TRACKED_CHATS = 10_000

    def __init__(self, *, per_chat_per_second: float, per_chat_burst: int, **limits):
        super().__init__(**limits)
        self._per_chat = (per_chat_burst, per_chat_burst / per_chat_per_second)
        self._chats: OrderedDict[int, AsyncLimiter] = OrderedDict()

    def _chat_limiter(self, chat_id: int) -> AsyncLimiter:
        limiter = self._chats.pop(chat_id, None) or AsyncLimiter(*self._per_chat)
        self._chats[chat_id] = limiter  # most recently used last; the oldest idle chats are forgotten
        while len(self._chats) > self.MAX_TRACKED_CHATS:
            self._chats.popitem(last=False)
        return limiter

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        chat_id = data.get("chat_id")
        with contextlib.suppress(ValueError, TypeError):
            chat_id = int(chat_id)
        if isinstance(chat_id, int) and chat_id > 0:  # private chats; groups have their own limit above
            async with self._chat_limiter(chat_id):
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)


def build_application(config: Config) -> Application:
    """The PTB Application: token, Bot API address, rate limits, concurrency; no handlers yet."""
    settings = config.telegram
    builder = (Application.builder()
               .token(settings.token.get_secret_value())
               .base_url(settings.api_base_url)
               .base_file_url(settings.api_base_url.removesuffix("/bot") + "/file/bot")
               .concurrent_updates(PerChatUpdateProcessor(settings.max_concurrent_updates))
               # aiohttp instead of PTB's httpx: a fraction of the CPU per call (handlers/telegram_request.py)
               .request(AiohttpRequest(HTTP_CONNECTIONS, pool_timeout=HTTP_POOL_TIMEOUT))
               .get_updates_request(AiohttpRequest(1)))
    if settings.rate_limit.enabled:
        limits = settings.rate_limit
        builder = builder.rate_limiter(PerChatRateLimiter(
            overall_max_rate=limits.overall_per_second, overall_time_period=1,
            group_max_rate=limits.group_per_minute, group_time_period=60, max_retries=limits.max_retries,
            per_chat_per_second=limits.per_chat_per_second, per_chat_burst=limits.per_chat_burst))
    if settings.webhook_url:
        builder = builder.updater(None)  # our own aiohttp server receives the updates
    return builder.build()


def register(application: Application, channel: TelegramChannel, staff: StaffChannel | None = None) -> None:
    """Every handler, in the order PTB consults them (lower groups first; first match per group)."""
    # group -2: a redelivered update (same update_id) stops here, recorded in the database
    application.add_handler(TypeHandler(Update, channel.deduplicate), group=-2)
    # group -1: a chat sending more than telegram.flood allows gets one note, then is ignored for a while
    application.add_handler(TypeHandler(Update, channel.limit_flood), group=-1)
    # group 0, first: the teams' staff groups and ticket buttons (handlers/telegram_staff.py)
    if staff is not None:
        staff.register(application, group=0)
    # group 0: what the employer wants
    application.add_handler(CallbackQueryHandler(channel.button))  # a pressed inline button
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGES, channel.message))  # text, commands, media
    # anything raised above: logged, the employer told, the bot keeps running
    application.add_error_handler(channel.on_error)


@dataclass
class TelegramBot:
    """A running bot, as `running` hands it out (tests and the benchmark look inside)."""

    config: Config
    application: Application
    database: Database
    core: Core
    channel: TelegramChannel
    server: WebhookServer | None = None
    ready: bool = False
    tasks: list[asyncio.Task] = field(default_factory=list)
    tickets: TicketDesk | None = None

    @property
    def mode(self) -> str:
        return "webhook" if self.config.telegram.webhook_url else "polling"

    async def healthy(self) -> bool:
        return self.ready and self.application.running and await self.database.ping()


def _tickets(config: Config, database: Database, application: Application, core: Core) -> TicketDesk | None:
    """The ticket queue (bot/tickets): its outbox sends with this bot, the dialogue hands over to it."""
    if not config.tickets.enabled:
        return None
    senders = {"telegram": TelegramSender(application.bot)}
    if config.web.enabled:  # employers of the web chat get their teams' answers through the same outbox
        from handlers.web.server import web_sender

        senders["web"] = web_sender(database)
    desk = TicketDesk.build(database, config, senders)
    core.dialogue.attach_handover(desk.handover)
    return desk


def _web(config: Config, database: Database, core: Core, tickets: TicketDesk | None):
    """What adds the web chat and the console (handlers/web) to this process's aiohttp server."""
    if not config.web.enabled:
        return None
    from handlers.web import build_services, setup_web
    from handlers.web.security import session_key

    services = build_services(config, database, core, session_key(config),
                              tickets=tickets.service if tickets else None,
                              on_commit=tickets.worker.wake if tickets else None)
    return lambda app: setup_web(app, services)


async def _cancel(tasks: list[asyncio.Task]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _core(config: Config, database: Database, knowledge: KnowledgeBase | None, stack: AsyncExitStack) -> Core:
    store = DbChatStore(database)
    if knowledge is not None:  # lent by the caller (tests): the caller closes it
        return Core(config, knowledge, store, Dialogue(config, knowledge, store))
    core = await asyncio.to_thread(build_core, config, store)  # trains the classifier: keep the loop free
    stack.push_async_callback(core.close)
    core.start()  # watches faq/ for edits (faq.reload_seconds); core.close stops it
    return core


@asynccontextmanager
async def running(config: Config, knowledge: KnowledgeBase | None = None) -> AsyncIterator[TelegramBot]:
    """Start the bot (polling, or webhook when telegram.webhook_url is set); stop it on leaving.

    Args:
        config: with telegram.token set.
        knowledge: an already trained knowledge base to use (tests); default: build one.

    Raises:
        InvalidToken: Telegram rejected the token (getMe).
        NetworkError: the Bot API cannot be reached.
        DatabaseError: the database cannot be used, or its schema is old and migrate is off.
        FaqError: the FAQ has errors.
        OSError: the webhook server cannot listen where configured.
    """
    settings = config.telegram
    async with AsyncExitStack() as stack:
        application = build_application(config)
        stack.push_async_callback(application.bot.shutdown)  # closes the HTTP clients even if getMe fails
        await application.initialize()  # getMe: a wrong token fails here, before anything else starts
        stack.push_async_callback(application.shutdown)
        database = Database.for_config(config)
        stack.push_async_callback(database.dispose)
        await prepare(database, migrate=config.database.migrate)
        core = await _core(config, database, knowledge, stack)
        flood = FloodGuard(settings.flood.max_messages, settings.flood.window_seconds)
        staff_groups = frozenset(str(team.telegram_group) for team in config.tickets.teams.values()
                                 if team.telegram_group is not None)
        channel = TelegramChannel(core.dialogue, Inbox(database), flood, unlimited_chats=staff_groups)
        tickets = _tickets(config, database, application, core)
        register(application, channel, StaffChannel(tickets.service, config) if tickets else None)
        bot = TelegramBot(config, application, database, core, channel, tickets=tickets)

        await application.start()
        stack.push_async_callback(application.stop)  # processes what is queued, then stops
        extend = _web(config, database, core, tickets)
        if settings.webhook_url:
            bot.server = WebhookServer(application, settings.webhook_path,
                                       settings.webhook_secret.get_secret_value(), bot.healthy, extend=extend)
            await bot.server.start(settings.listen_host, settings.listen_port)
            stack.push_async_callback(bot.server.stop)
            await application.bot.set_webhook(settings.webhook_url, secret_token=settings.webhook_secret.get_secret_value(),
                                              allowed_updates=ALLOWED_UPDATES,
                                              drop_pending_updates=settings.drop_pending_updates)
        else:
            await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES,
                                                    drop_pending_updates=settings.drop_pending_updates)
            stack.push_async_callback(application.updater.stop)
            if extend is not None:  # no webhook to share a server with: the web chat, console and health alone
                bot.server = WebhookServer(application, None, "", bot.healthy, extend=extend)
                await bot.server.start(settings.listen_host, settings.listen_port)
                stack.push_async_callback(bot.server.stop)

        if tickets is not None:  # the outbox worker and the reminders
            tickets.start()
            stack.push_async_callback(tickets.stop)
        bot.tasks.append(asyncio.create_task(keep_purging(database, config.retention), name="retention"))
        stack.push_async_callback(_cancel, bot.tasks)
        bot.ready = True
        stack.callback(setattr, bot, "ready", False)  # /healthz says 503 from the first moment of stopping
        yield bot


async def run(config: Config, stop: asyncio.Event | None = None) -> int:
    """Run the Telegram bot until SIGINT/SIGTERM (or `stop`); returns the process exit code.

    FaqError propagates: the caller prints the editors' report.
    """
    stop = stop or asyncio.Event()
    stop_on_signals(stop)
    settings = config.telegram
    try:
        async with running(config) as bot:
            tune_runtime_for_serving()
            where = (f"webhook {settings.webhook_url} (listening on {settings.listen})" if bot.mode == "webhook"
                     else "polling")
            if bot.server is not None and config.web.enabled:
                host, port = bot.server.address
                where += f"; web chat http://{host}:{port}/chat/, console http://{host}:{port}/console/"
            print(f"Lotse is running on Telegram as @{bot.application.bot.username}, {where}; "
                  f"database {redacted(bot.database.url)}. Stop with Ctrl+C.", file=sys.stderr)
            await stop.wait()
    except InvalidToken:
        print("Telegram rejected the bot token (getMe answered 401/404). Check TELEGRAM_BOT_TOKEN: it is the "
              "token BotFather gave you (/token in BotFather shows it again).", file=sys.stderr)
        return 2
    except NetworkError as exc:
        print(f"cannot reach the Telegram Bot API at {settings.api_base_url}: {exc}", file=sys.stderr)
        return 1
    except DatabaseError as exc:
        print(f"database error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"cannot listen on {settings.listen} (LOTSE_LISTEN) for the webhook, health and web pages: {exc}", file=sys.stderr)
        return 1
    print("Lotse stopped.", file=sys.stderr)
    return 0
