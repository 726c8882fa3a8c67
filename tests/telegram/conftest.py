"""The Telegram channel end to end: a stand-in Bot API on 127.0.0.1, a real SQLite file, the real
webhook server, and employers whose messages arrive as Telegram would post them.

Set LOTSE_TEST_DATABASE_URL (postgresql+asyncpg://...) to run the database tests on PostgreSQL;
each test then starts from an empty schema.
"""

from __future__ import annotations

import copy
import itertools
import os

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy import text

from bot.config import Config, DatabaseSettings, TelegramRateLimit, TelegramSettings
from bot.db import Database
from bot.db.schema import metadata
from handlers.telegram_app import TelegramBot, running
from handlers.webhook import SECRET_HEADER
from tests.telegram.standin import BOT_USER, TOKEN, BotApiStandIn, Call

WEBHOOK_URL = "https://lotse.example.org/telegram/7f3a9c"  # what the reverse proxy exposes
SECRET = "s3cret-token_for-the-webhook"


async def reset_database(url: str) -> None:
    """An empty schema: for a shared server database (PostgreSQL) that outlives one test."""
    async with Database(url) as database, database.engine.begin() as connection:
        await connection.run_sync(metadata.drop_all)
        await connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture
async def database_url(tmp_path) -> str:
    url = os.environ.get("LOTSE_TEST_DATABASE_URL")
    if url:
        await reset_database(url)
        return url
    return f"sqlite+aiosqlite:///{tmp_path}/var/lotse.db"


@pytest.fixture
async def standin():
    server = BotApiStandIn()
    await server.start()
    yield server
    await server.stop()


def telegram_config(
    config: Config, standin: BotApiStandIn, database_url: str, *, webhook: bool = True, **settings
) -> Config:
    """The real configuration, pointed at the stand-in and a test database."""
    telegram = TelegramSettings(
        api_base_url=standin.base_url,
        token=SecretStr(TOKEN),
        listen="127.0.0.1:0",
        webhook_url=WEBHOOK_URL if webhook else None,
        webhook_secret=SecretStr(SECRET) if webhook else None,
        rate_limit=TelegramRateLimit(max_retries=2),
        **settings,
    )
    return config.model_copy(
        update={
            "telegram": telegram,
            "database": DatabaseSettings(url=database_url),
            "faq": config.faq.model_copy(update={"reload_seconds": 0}),
        }
    )


@pytest.fixture
def tg_config(config, standin, database_url) -> Config:
    return telegram_config(config, standin, database_url)


@pytest.fixture
async def bot(tg_config, shared_core):
    """Lotse running in webhook mode against the stand-in, on the shared trained FAQ."""
    async with running(tg_config, knowledge=shared_core.knowledge) as running_bot:
        yield running_bot


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


class Employer:
    """Someone writing to Lotse: each message is posted to the real webhook, as Telegram would.

    Methods return the messages Lotse delivered in answer (stand-in calls), once processed.
    """

    _ids = itertools.count(700_000_000)

    def __init__(
        self,
        bot: TelegramBot,
        standin: BotApiStandIn,
        http: aiohttp.ClientSession,
        user_id: int = 111,
        first_name: str = "Anna",
        language_code: str = "de",
        chat: dict | None = None,
    ):
        self.bot, self.standin, self.http = bot, standin, http
        self.user = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": language_code}
        self.chat = chat or {"id": user_id, "type": "private", "first_name": first_name}

    @property
    def webhook(self) -> str:
        host, port = self.bot.runtime.address
        return f"http://{host}:{port}{self.bot.config.telegram.webhook_path}"

    async def post(self, update: dict, secret: str | None = SECRET) -> int:
        """POST one update to the webhook and return the HTTP status: the webhook answers once Lotse
        has processed the update (within its answer_within), so what Lotse sent is at the stand-in."""
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        async with self.http.post(self.webhook, json=update, headers=headers) as response:
            return response.status

    async def deliver(self, update: dict) -> list[Call]:
        before = len(self.standin.calls)
        assert await self.post(update) == 200
        return [c for c in self.standin.calls[before:] if c.method == "sendMessage" and c.status == 200]

    def message(self, text: str, **extra) -> dict:
        message = {
            "message_id": next(self._ids) % 1_000_000,
            "date": 1763800000,
            "from": self.user,
            "chat": self.chat,
            "text": text,
            **extra,
        }
        if text.startswith("/"):
            message["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
        return {"update_id": next(self._ids), "message": message}

    async def says(self, text: str) -> list[Call]:
        return await self.deliver(self.message(text))

    def last_with_button(self, label: str) -> Call:
        for call in reversed(self.standin.sent(self.chat["id"])):
            if label in call.labels:
                return call
        raise AssertionError(f"no message to chat {self.chat['id']} has a button {label!r}")

    def press_update(self, label: str) -> dict:
        call = self.last_with_button(label)
        data = next(b["callback_data"] for row in call.buttons for b in row if b["text"] == label)
        return {
            "update_id": next(self._ids),
            "callback_query": {
                "id": f"cbq{next(self._ids)}",
                "chat_instance": "-812345",
                "from": self.user,
                "data": data,
                "message": copy.deepcopy(call.result) | {"from": BOT_USER},
            },
        }

    async def presses(self, label: str) -> list[Call]:
        """Press the button labelled `label` on the newest message that has one."""
        return await self.deliver(self.press_update(label))


@pytest.fixture
def anna(bot, standin, http) -> Employer:
    return Employer(bot, standin, http)
