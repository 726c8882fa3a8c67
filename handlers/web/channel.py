"""The web chat and the coordinators' console as a channel of the runtime (docs/web.md)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from bot.accounts.web_chat import CHANNEL, WebChatStore
from bot.runtime import ChannelError, Runtime
from handlers.web.app import setup_web
from handlers.web.chat_store import WebSender
from handlers.web.security import session_key
from handlers.web.services import WebServices, build_services

log = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 3600


async def keep_pruning(store: WebChatStore, days: float) -> None:
    """Forget web chat transcripts past their retention (web.chat_retention_days), hourly."""
    while True:
        try:
            removed = await store.prune(timedelta(days=days))
            if removed:
                log.info("removed %d web chat messages past the retention", removed)
        except Exception:  # housekeeping never ends the server
            log.exception("pruning web chat messages failed")
        await asyncio.sleep(PRUNE_EVERY_SECONDS)


class WebChannel:
    """Adds /chat/ and /console/ to the runtime's server; team answers reach web chats through the outbox."""

    name = "web"

    def __init__(self) -> None:
        self.runtime: Runtime | None = None
        self.services: WebServices | None = None

    async def attach(self, runtime: Runtime) -> None:
        config = runtime.config
        self.runtime = runtime
        try:
            key = session_key(config)
        except ValueError as exc:  # LOTSE_SESSION_SECRET too short: the operator's to fix, so no traceback
            raise ChannelError(f"web chat and console: {exc}", exit_code=2) from exc
        self.services = build_services(
            config,
            runtime.database,
            runtime.core,
            key,
            tickets=runtime.desk.service if runtime.desk else None,
        )
        setup_web(runtime.web_app, self.services)
        runtime.add_sender(CHANNEL, WebSender(self.services.chat))

    async def start(self) -> None:
        assert self.runtime is not None and self.services is not None
        self.runtime.background(
            keep_pruning(self.services.chat, self.runtime.config.web.chat_retention_days), "web-prune"
        )

    async def stop(self) -> None:
        return None

    def describe(self) -> str:
        url = self.runtime.url if self.runtime is not None else ""
        return f"web chat {url}/chat/, console {url}/console/ (accounts: python -m bot users add NAME --team authority)"
