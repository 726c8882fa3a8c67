"""Telegram as a channel of the runtime: the PTB Application, its handlers, webhook or polling.

`TelegramBot` plugs into bot.runtime: on attach it checks the token (getMe), registers the
handlers in one ordered list, gives the outbox its sender and, in webhook mode, adds the update
route to the runtime's server; start and stop run PTB's life explicitly (with a custom webhook
server PTB does not call post_init/post_shutdown).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiolimiter import AsyncLimiter
from pydantic import SecretStr
from telegram import Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import (
    AIORateLimiter,
    Application,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.chat_order import ChatTurns, SharedFloodGuard
from bot.config import Config
from bot.db import Inbox
from bot.knowledge import KnowledgeBase
from bot.runtime import Channel, ChannelError, Runtime
from bot.runtime import running as runtime_running
from bot.tickets.files import FileStore
from handlers.telegram import CHANNEL, FloodGuard, TelegramChannel
from handlers.telegram_request import AiohttpRequest
from handlers.telegram_sender import TelegramSender
from handlers.telegram_staff import StaffChannel
from handlers.webhook import TelegramWebhook

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
    """Different chats in parallel, each chat's updates one after the other and in order.

    The order is the runtime's `chat_turns` (bot/chat_order.py), given on attach: in this process
    on SQLite, across all processes on PostgreSQL (which also skips updates processed before).
    """

    def __init__(self, max_concurrent_updates: int):
        super().__init__(max_concurrent_updates)
        self.turns = ChatTurns()

    async def do_process_update(self, update: object, coroutine) -> None:
        if not isinstance(update, Update):
            await coroutine
            return
        chat = update.effective_chat or update.effective_user  # a button under an inline message: its user
        async with self.turns.turn(CHANNEL, str(chat.id if chat else "-"), str(update.update_id)) as new:
            if new:
                await coroutine
            else:
                coroutine.close()  # never awaited: a redelivery
                log.info("update %s was delivered again; skipped", update.update_id)

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


def secret(value: SecretStr | None, variable: str) -> str:
    """A secret the configuration must have for Telegram (config validation checks it; this says so to mypy)."""
    if value is None:
        raise ChannelError(f"{variable} is not set")
    return value.get_secret_value()


def build_application(config: Config) -> Application:
    """The PTB Application: token, Bot API address, rate limits, concurrency; no handlers yet."""
    settings = config.telegram
    builder = (
        Application.builder()
        .token(secret(settings.token, "TELEGRAM_BOT_TOKEN"))
        .base_url(settings.api_base_url)
        .base_file_url(settings.api_base_url.removesuffix("/bot") + "/file/bot")
        .concurrent_updates(PerChatUpdateProcessor(settings.max_concurrent_updates))
        # aiohttp instead of PTB's httpx: a fraction of the CPU per call (handlers/telegram_request.py)
        .request(AiohttpRequest(HTTP_CONNECTIONS, pool_timeout=HTTP_POOL_TIMEOUT))
        .get_updates_request(AiohttpRequest(1))
    )
    if settings.rate_limit.enabled:
        limits = settings.rate_limit
        builder = builder.rate_limiter(
            PerChatRateLimiter(  # type: ignore[arg-type]  # PTB types it by the builder
                overall_max_rate=limits.overall_per_second,
                overall_time_period=1,
                group_max_rate=limits.group_per_minute,
                group_time_period=60,
                max_retries=limits.max_retries,
                per_chat_per_second=limits.per_chat_per_second,
                per_chat_burst=limits.per_chat_burst,
            )
        )
    if settings.webhook_url:
        builder = builder.updater(None)  # our own aiohttp server receives the updates
    return builder.build()


def register(
    application: Application, channel: TelegramChannel, staff: StaffChannel | None = None, deduplicate: bool = True
) -> None:
    """Every handler, in the order PTB consults them (lower groups first; first match per group).

    `deduplicate=False`: the update processor's chat turns skip redeliveries already (PostgreSQL).
    """
    # group -2: a redelivered update (same update_id) stops here, recorded in the database
    if deduplicate:
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


class TelegramBot:
    """The Telegram channel of a runtime (webhook when telegram.webhook_url is set, else polling)."""

    name = "telegram"

    def __init__(self, config: Config):
        self.config = config
        self.application = build_application(config)
        self.runtime: Runtime | None = None
        self.channel: TelegramChannel | None = None
        self.webhook: TelegramWebhook | None = None
        self._initialized = False

    @property
    def mode(self) -> str:
        return "webhook" if self.config.telegram.webhook_url else "polling"

    async def attach(self, runtime: Runtime) -> None:
        """Check the token (getMe), register the handlers, give the outbox its sender, add the webhook route.

        Raises:
            ChannelError: Telegram rejected the token, or the Bot API cannot be reached.
        """
        settings = self.config.telegram
        self.runtime = runtime
        try:
            await self.application.initialize()  # getMe: a wrong token fails here, before anything else starts
        except InvalidToken as exc:
            await self.application.bot.shutdown()  # closes the HTTP clients
            raise ChannelError(
                "Telegram rejected the bot token (getMe answered 401/404). Check TELEGRAM_BOT_TOKEN: "
                "it is the token BotFather gave you (/token in BotFather shows it again).",
                exit_code=2,
            ) from exc
        except NetworkError as exc:
            await self.application.bot.shutdown()
            raise ChannelError(f"cannot reach the Telegram Bot API at {settings.api_base_url}: {exc}") from exc
        self._initialized = True
        # -- several processes on PostgreSQL: order, redeliveries and flood counts shared (bot/chat_order.py)
        turns = runtime.chat_turns
        if isinstance(self.application.update_processor, PerChatUpdateProcessor):
            self.application.update_processor.turns = turns
        flood = (
            SharedFloodGuard(runtime.database, CHANNEL, settings.flood.max_messages, settings.flood.window_seconds)
            if turns.shared
            else FloodGuard(settings.flood.max_messages, settings.flood.window_seconds)
        )
        # -- end
        staff_groups = frozenset(
            str(team.telegram_group) for team in self.config.tickets.teams.values() if team.telegram_group is not None
        )
        self.channel = TelegramChannel(runtime.dialogue, Inbox(runtime.database), flood, unlimited_chats=staff_groups)
        desk = runtime.desk
        register(
            self.application,
            self.channel,
            StaffChannel(desk.service, self.config) if desk else None,
            deduplicate=not turns.claims_updates,
        )
        runtime.add_sender("telegram", TelegramSender(self.application.bot, FileStore(runtime.database)))
        if settings.webhook_url:
            self.webhook = TelegramWebhook(self.application, secret(settings.webhook_secret, "TELEGRAM_WEBHOOK_SECRET"))
            runtime.web_app.router.add_post(settings.webhook_path, self.webhook.receive)

    async def start(self) -> None:
        settings = self.config.telegram
        await self.application.start()
        if settings.webhook_url:
            await self.application.bot.set_webhook(
                settings.webhook_url,
                secret_token=secret(settings.webhook_secret, "TELEGRAM_WEBHOOK_SECRET"),
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=settings.drop_pending_updates,
            )
        else:
            assert self.application.updater is not None  # built with one: only webhook mode leaves it out
            await self.application.updater.start_polling(
                allowed_updates=ALLOWED_UPDATES, drop_pending_updates=settings.drop_pending_updates
            )

    async def stop(self) -> None:
        if self.application.updater is not None and self.application.updater.running:
            await self.application.updater.stop()
        if self.application.running:
            await self.application.stop()  # processes what is queued, then stops
        if self._initialized:
            await self.application.shutdown()
            self._initialized = False

    def describe(self) -> str:
        where = (
            f"webhook {self.config.telegram.webhook_url} on {self.config.telegram.webhook_path}"
            if self.mode == "webhook"
            else "polling"
        )
        return f"Telegram as @{self.application.bot.username}, {where}"

    # what tests and the benchmark look at
    @property
    def database(self):
        return self.runtime.database

    @property
    def core(self):
        return self.runtime.core

    @property
    def tickets(self):
        return self.runtime.desk


@asynccontextmanager
async def running(config: Config, knowledge: KnowledgeBase | None = None) -> AsyncIterator[TelegramBot]:
    """A runtime with the Telegram channel (and the web pages when web.enabled), for tests and benchmarks."""
    from handlers.web.channel import WebChannel

    bot = TelegramBot(config)
    channels: list[Channel] = [bot, WebChannel()] if config.web.enabled else [bot]
    async with runtime_running(config, channels, knowledge=knowledge):
        yield bot
