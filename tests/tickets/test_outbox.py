"""The outbox delivers every message once, in order per chat, through failures, 429s, crashes
(a real process killed with SIGKILL) and two workers sharing one PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.tickets.models import OutboxMessage
from bot.tickets.outbox import Delivery, OutboxItem, OutboxWorker, Undeliverable, enqueue, pending_count
from tests.conftest import ROOT
from tests.tickets.conftest import Recorder, drain


async def put(database, chat: str, n: int, now=None) -> list[int]:
    async with database.transaction() as session:
        rows = [enqueue(session, "telegram", chat, {"text": f"{chat}-{i}", "lang": "de"}, now=now) for i in range(n)]
        await session.flush()
        return [row.id for row in rows]


async def rows(database) -> dict[int, OutboxMessage]:
    async with database.transaction() as session:
        return {r.id: r for r in (await session.execute(select(OutboxMessage))).scalars()}


async def test_server_errors_then_recovery_deliver_once(desk, database, recorder, clock):
    [row_id] = await put(database, "4711", 1)
    recorder.fail_next(2)
    assert await desk.worker.deliver_due() == 1 and not recorder.sent  # 500: backoff 2 s
    assert await desk.worker.deliver_due() == 0  # not due yet
    clock.advance(seconds=2)
    assert await desk.worker.deliver_due() == 1 and not recorder.sent  # 500 again: backoff 4 s
    clock.advance(seconds=3)
    assert await desk.worker.deliver_due() == 0
    clock.advance(seconds=1)
    assert await desk.worker.deliver_due() == 1
    assert [i.id for i in recorder.sent] == [row_id]
    assert await drain(desk) == 0
    row = (await rows(database))[row_id]
    assert (row.status, row.attempts, row.external_message_id) == ("sent", 3, "5001")


async def test_429_retry_after_is_honoured(desk, database, recorder, clock):
    await put(database, "4711", 1)
    recorder.fail_next(1, retry_after=30)
    await desk.worker.deliver_due()
    clock.advance(seconds=29)
    assert await desk.worker.deliver_due() == 0
    clock.advance(seconds=1)
    assert await desk.worker.deliver_due() == 1 and len(recorder.sent) == 1


async def test_one_chat_in_order_while_others_go_on(desk, database, recorder, clock):
    first = await put(database, "A", 3)
    await put(database, "B", 1)
    recorder.fail_next(1)  # A's head fails: A waits, B is delivered
    await desk.worker.deliver_due()
    assert [i.chat_id for i in recorder.sent] == ["B"]
    clock.advance(minutes=1)
    await drain(desk)
    assert [i.id for i in recorder.to("A")] == first


async def test_undeliverable_is_marked_failed_and_does_not_block(desk, database, recorder):
    bad, good = await put(database, "A", 2)
    recorder.failures.append(Undeliverable("Forbidden: bot was blocked by the user"))
    await drain(desk)
    state = await rows(database)
    assert state[bad].status == "failed" and "blocked" in state[bad].last_error
    assert state[good].status == "sent"


async def test_gives_up_after_max_attempts(desk, database, recorder, clock):
    [row_id] = await put(database, "A", 1)
    recorder.fail_next(100)
    for _ in range(desk.worker.settings.max_attempts):
        await desk.worker.deliver_due()
        clock.advance(hours=1)
    assert (await rows(database))[row_id].status == "failed"


async def test_a_lease_outlives_a_dead_worker(database, team_config, clock):
    """A worker that leased a row and died: after lease_seconds another one sends it."""
    [row_id] = await put(database, "A", 1)
    dead = OutboxWorker(database, {"telegram": Recorder()}, team_config.tickets.outbox, clock=clock)
    assert [i.id for i in await dead.claim()] == [row_id]  # leased, never marked
    alive_sender = Recorder()
    alive = OutboxWorker(database, {"telegram": alive_sender}, team_config.tickets.outbox, clock=clock)
    assert await alive.deliver_due() == 0
    clock.advance(seconds=team_config.tickets.outbox.lease_seconds + 1)
    assert await alive.deliver_due() == 1 and [i.id for i in alive_sender.sent] == [row_id]


@pytest.mark.parametrize("mode", ["after_commit", "during_send"])
async def test_killed_process_delivers_after_restart(db_url, database, team_config, clock, mode):
    child = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "tests.tickets.crash_child", db_url, mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
    )
    assert child.returncode == -9, child.stderr  # SIGKILL, not a clean exit
    assert "committed ticket" in child.stdout
    assert await pending_count(database) == 2  # the card for the team, the answer
    restarted = Recorder()
    worker = OutboxWorker(
        database, {"telegram": restarted}, team_config.tickets.outbox, clock=lambda: clock.now + timedelta(days=1)
    )  # the killed process's lease has run out
    while await worker.deliver_due():
        pass
    assert sorted(i.purpose for i in restarted.sent) == ["answer", "card"]
    assert [i.chat_id for i in restarted.sent if i.purpose == "answer"] == ["4711"]
    assert await pending_count(database) == 0


class SlowRecorder(Recorder):
    async def send(self, item: OutboxItem) -> Delivery:
        await asyncio.sleep(0.002)
        return await super().send(item)


@pytest.mark.postgres
async def test_two_workers_on_postgres_send_each_message_once(postgres_url, team_config):
    from bot.db import prepare
    from tests.tickets.conftest import empty_schema

    await empty_schema(postgres_url)
    async with Database(postgres_url) as one, Database(postgres_url) as two:
        await prepare(one, migrate=True)
        expected = {}
        for chat in range(20):
            for row_id in await put(one, f"chat{chat}", 10):
                expected[row_id] = f"chat{chat}"
        sender = SlowRecorder()
        settings = team_config.tickets.outbox.model_copy(update={"batch": 7})
        workers = [OutboxWorker(one, {"telegram": sender}, settings), OutboxWorker(two, {"telegram": sender}, settings)]

        async def work(worker: OutboxWorker) -> int:
            delivered = 0
            while n := await worker.deliver_due():
                delivered += n
            return delivered

        counts = await asyncio.gather(*(work(w) for w in workers))
        ids = [i.id for i in sender.sent]
        assert sorted(ids) == sorted(expected)  # every message sent ...
        assert len(ids) == len(set(ids))  # ... exactly once
        assert all(counts)  # both workers took part
        for chat in {c for c in expected.values()}:  # and each chat's messages in order
            mine = [i for i in ids if expected[i] == chat]
            assert mine == sorted(mine)
        assert await pending_count(one) == 0
