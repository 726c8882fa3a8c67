"""Stopping the runtime: no database work is left running when the engine is disposed and the loop closes.

A background task (outbox, reminders, retention) cancelled inside a transaction abandons aiosqlite
mid-call; aiosqlite then finishes in its own thread and reports to an event loop that is already
closed ("RuntimeError: Event loop is closed" in `_connection_worker_thread`; seen as a flaky error in CI).
"""

from __future__ import annotations

import asyncio
import threading
import time

import aiosqlite
import pytest
from sqlalchemy import select, text

from bot.config import DatabaseSettings
from bot.db import Chat, Database, prepare
from bot.runtime import running

SLOW_CONNECT_SECONDS = 0.5


@pytest.fixture
def slow_connections(monkeypatch):
    """aiosqlite connections that take a while to open (a busy machine): a stop is sure to meet one opening."""
    real_connect = aiosqlite.connect

    def connect(*args, **kwargs):
        connection = real_connect(*args, **kwargs)
        opens = connection._connector  # runs in the connection's thread

        def slowly():
            time.sleep(SLOW_CONNECT_SECONDS)
            return opens()

        connection._connector = slowly
        return connection

    monkeypatch.setattr(aiosqlite, "connect", connect)


def test_a_runtime_stopped_while_its_background_tasks_open_connections_leaves_no_thread_behind(
    config, shared_core, tmp_path, slow_connections, monkeypatch
):
    thread_errors: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: thread_errors.append(args.exc_value))
    config = config.model_copy(
        update={
            "database": DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path}/lotse.db"),
            "faq": config.faq.model_copy(update={"reload_seconds": 0}),
        }
    )
    before = set(threading.enumerate())

    async def keep_reading(database: Database) -> None:  # like the web chat's pruning: a round, then a pause
        while True:
            async with database.read() as session:
                await session.execute(text("SELECT 1"))
            await asyncio.sleep(3600)

    async def start_and_stop() -> None:
        async with running(config, knowledge=shared_core.knowledge, serve_http=False) as runtime:
            assert runtime.desk is not None and runtime.tasks  # outbox, reminders, retention: all use the database
            for n in range(3):  # readers do not queue for SQLite's writer: each needs a connection of its own
                runtime.background(keep_reading(runtime.database), f"reader {n}")
            await asyncio.sleep(SLOW_CONNECT_SECONDS / 5)  # all have started, several are opening a connection

    loop = asyncio.new_event_loop()  # its own loop, closed right after the stop as pytest-asyncio does
    try:
        loop.run_until_complete(start_and_stop())
    finally:
        loop.close()
    started = [thread for thread in set(threading.enumerate()) - before if "_connection_worker_thread" in thread.name]
    for thread in started:
        thread.join(timeout=5 * SLOW_CONNECT_SECONDS)
    assert thread_errors == []
    assert not [thread.name for thread in started if thread.is_alive()]


@pytest.fixture
async def database(tmp_path):
    async with Database(f"sqlite+aiosqlite:///{tmp_path}/lotse.db") as database:
        await prepare(database, migrate=True)
        yield database


async def test_a_background_task_is_cancelled_after_its_transaction_not_inside_it(database):
    writing = asyncio.Event()

    async def round_then_sleep():
        while True:
            async with database.transaction() as session:
                writing.set()
                await asyncio.sleep(0.2)  # a slow round
                session.add(Chat(channel="telegram", external_id="written", language="de"))
            await asyncio.sleep(3600)

    task = asyncio.create_task(round_then_sleep())
    await writing.wait()
    await database.cancel_between_transactions([task])
    assert task.cancelled()
    async with database.read() as session:
        assert list((await session.execute(select(Chat.external_id))).scalars()) == ["written"]


async def test_a_task_still_in_its_transaction_after_the_bound_is_cancelled_in_it(database, caplog):
    inside = asyncio.Event()

    async def stuck():
        async with database.read() as session:
            await session.execute(text("SELECT 1"))
            inside.set()
            await asyncio.sleep(3600)

    task = asyncio.create_task(stuck(), name="stuck")
    await inside.wait()
    started = time.monotonic()
    await database.cancel_between_transactions([task], within=0.2)
    assert task.cancelled() and 0.2 <= time.monotonic() - started < 2
    assert "stuck still in a transaction" in caplog.text


async def test_dispose_waits_for_a_transaction_of_another_task(database):
    inside = asyncio.Event()

    async def update_still_processed():  # a webhook answered after its timeout, the update still going on
        async with database.transaction() as session:
            inside.set()
            await asyncio.sleep(0.2)
            session.add(Chat(channel="telegram", external_id="late", language="de"))

    task = asyncio.create_task(update_still_processed())
    await inside.wait()
    await database.dispose()
    assert task.done() and task.exception() is None
    async with database.read() as session:  # the pool comes back on demand
        assert list((await session.execute(select(Chat.external_id))).scalars()) == ["late"]
