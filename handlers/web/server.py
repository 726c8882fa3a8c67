"""The web pages on a runtime of their own: what tests of the web chat and console start."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.config import Config
from bot.knowledge import KnowledgeBase
from bot.runtime import Runtime, running
from handlers.web.channel import WebChannel
from handlers.web.services import WebServices


@dataclass
class WebServer:
    runtime: Runtime
    services: WebServices

    @property
    def url(self) -> str:
        return self.runtime.url

    @property
    def runner(self):
        return self.runtime.runner


@asynccontextmanager
async def serving(
    config: Config, knowledge: KnowledgeBase | None = None, host: str | None = None, port: int | None = None
) -> AsyncIterator[WebServer]:
    """A runtime with only the web channel, listening on `host`/`port` (default LOTSE_LISTEN)."""
    channel = WebChannel()
    async with running(config, [channel], knowledge=knowledge, host=host, port=port) as runtime:
        assert channel.services is not None
        yield WebServer(runtime, channel.services)
