"""Per-chat order and flood control (bot/chat_order.py): in one process, and shared by two "processes"
(two engines, as two `python -m bot run` would have) on one PostgreSQL database."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.chat_order import ChatTurns, SharedChatTurns, SharedFloodGuard, flood_verdict, turns_for
from bot.config import Retention
from bot.db import Database, ProcessedUpdate, prepare
from bot.db.models import ChatFlood, utcnow
from bot.retention import purge


async def run_turns(turns: list[ChatTurns], jobs: list[tuple[str, str]], hold: float = 0.05) -> list[str]:
    """Start `jobs` (chat, update id) 10 ms apart, alternating over `turns`; returns the log of starts and ends."""
    log: list[str] = []

    async def job(turn: ChatTurns, chat: str, update: str) -> None:
        async with turn.turn("telegram", chat, update) as new:
            if new:
                log.append(f"start {chat}/{update}")
                await asyncio.sleep(hold)
                log.append(f"end {chat}/{update}")

    tasks = []
    for n, (chat, update) in enumerate(jobs):
        tasks.append(asyncio.create_task(job(turns[n % len(turns)], chat, update)))
        await asyncio.sleep(0.01)
    await asyncio.gather(*tasks)
    return log


def test_flood_window_counts_answers_notes_once_then_drops():
    state: tuple[list[float], bool] = ([], False)
    verdicts = []
    for now in (0.0, 1.0, 2.0, 3.0, 4.0):
        verdict, *rest = flood_verdict(*state, now, max_messages=2, window=10)
        state = (rest[0], rest[1])
        verdicts.append(verdict)
    assert verdicts == ["ok", "ok", "note", "drop", "drop"]
    assert flood_verdict(*state, 10.5, max_messages=2, window=10)[0] == "ok"  # the first answer left the window


async def test_one_process_orders_a_chat_and_runs_chats_in_parallel():
    turns = ChatTurns()
    log = await run_turns([turns], [("a", "1"), ("b", "2"), ("a", "3")])
    assert log.index("end a/1") < log.index("start a/3")
    assert log.index("start b/2") < log.index("end a/1")  # another chat did not wait
    assert not turns._locks  # idle chats are forgotten


async def test_sqlite_keeps_turns_in_the_process(tmp_path):
    async with Database(f"sqlite+aiosqlite:///{tmp_path}/lotse.db") as database:
        assert type(turns_for(database, 5)) is ChatTurns


@pytest.fixture
async def two_processes(pg_url):
    async with Database(pg_url) as first, Database(pg_url) as second:
        await prepare(first, migrate=True)
        yield first, second


@pytest.mark.postgres
async def test_two_processes_take_turns_per_chat_in_arrival_order(two_processes):
    first, second = two_processes
    turns = [SharedChatTurns(first, max_held=5), SharedChatTurns(second, max_held=5)]
    jobs = [("a", "1"), ("a", "2"), ("b", "3"), ("a", "4"), ("b", "5"), ("a", "6")]
    log = await run_turns(turns, jobs)
    chat_a = [line for line in log if " a/" in line]
    assert chat_a == [f"{edge} a/{n}" for n in (1, 2, 4, 6) for edge in ("start", "end")]  # one at a time, in order
    assert log.index("start b/3") < log.index("end a/2")  # chat b did not wait for chat a


@pytest.mark.postgres
async def test_a_redelivered_update_is_skipped_by_the_other_process(two_processes):
    first, second = two_processes
    log = await run_turns([SharedChatTurns(first, 5), SharedChatTurns(second, 5)], [("a", "7"), ("a", "7")])
    assert log == ["start a/7", "end a/7"]


@pytest.mark.postgres
async def test_a_turn_cut_short_leaves_the_update_to_be_processed_again(two_processes):
    first, second = two_processes
    started = asyncio.Event()

    async def crashing() -> None:
        async with SharedChatTurns(first, 5).turn("telegram", "a", "8"):
            started.set()
            await asyncio.sleep(30)  # cancelled: as a killed process, its transaction never commits

    task = asyncio.create_task(crashing())
    await started.wait()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    async with second.read() as session:
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 0
    assert await run_turns([SharedChatTurns(second, 5)], [("a", "8")]) == ["start a/8", "end a/8"]


@pytest.mark.postgres
async def test_flood_counts_are_shared_by_the_processes(two_processes):
    first, second = two_processes
    clock = iter(range(100)).__next__
    guards = [SharedFloodGuard(db, "telegram", 3, 60, clock=lambda: float(clock())) for db in (first, second)]
    verdicts = [await guards[n % 2].verdict("42") for n in range(5)]
    assert verdicts == ["ok", "ok", "ok", "note", "drop"]  # per process it would have been 3 "ok" each
    assert await guards[0].verdict("43") == "ok"  # another chat has its own count


@pytest.mark.postgres
async def test_processes_starting_together_migrate_one_after_the_other(pg_url):
    async with Database(pg_url) as first, Database(pg_url) as second, Database(pg_url) as third:
        await asyncio.gather(*(prepare(db, migrate=True) for db in (first, second, third)))  # none fails
        async with first.read() as session:
            assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 0


@pytest.mark.postgres
async def test_flood_counts_go_with_the_retention(two_processes):
    first, _ = two_processes
    await SharedFloodGuard(first, "telegram", 3, 60).verdict("42")
    retention = Retention(days=30, processed_updates_days=7)
    assert (await purge(first, retention, now=utcnow()))["chat_floods"] == 0
    assert (await purge(first, retention, now=utcnow() + timedelta(days=8)))["chat_floods"] == 1
    async with first.read() as session:
        assert await session.scalar(select(func.count()).select_from(ChatFlood)) == 0
