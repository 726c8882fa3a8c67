"""Flood control and update processing order, without a bot."""

from __future__ import annotations

import asyncio

from telegram import Update

from handlers.telegram import FloodGuard
from handlers.telegram_app import PerChatUpdateProcessor
from tests.telegram.updates import load_update


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_flood_guard_notes_once_then_drops_until_the_window_passes():
    clock = Clock()
    guard = FloodGuard(max_messages=3, window_seconds=60, clock=clock)
    assert [guard.check("a") for _ in range(6)] == ["ok", "ok", "ok", "note", "drop", "drop"]
    assert guard.check("b") == "ok"  # per chat
    clock.now += 30
    assert guard.check("a") == "drop"
    clock.now += 31  # the first three answers are out of the window
    assert guard.check("a") == "ok"
    assert [guard.check("a") for _ in range(3)] == ["ok", "ok", "note"]  # slowed down: a new note per episode


def test_flood_guard_forgets_quiet_chats():
    clock = Clock()
    guard = FloodGuard(max_messages=1, window_seconds=60, clock=clock)
    for n in range(10_001):
        guard.check(str(n))
    clock.now += 61
    guard.check("new")
    assert len(guard._answered) < 10


def _update(chat_id: int, update_id: int) -> Update:
    data = load_update("text")
    data["update_id"] = update_id
    data["message"]["chat"]["id"] = chat_id
    return Update.de_json(data, None)


async def test_one_chat_in_order_different_chats_in_parallel():
    processor = PerChatUpdateProcessor(max_concurrent_updates=8)
    log: list[str] = []

    async def work(name: str, delay: float) -> None:
        log.append(f"{name} start")
        await asyncio.sleep(delay)
        log.append(f"{name} end")

    await asyncio.gather(
        processor.process_update(_update(1, 1), work("a1", 0.05)),
        processor.process_update(_update(1, 2), work("a2", 0.0)),
        processor.process_update(_update(2, 3), work("b1", 0.0)),
    )
    assert log.index("a1 end") < log.index("a2 start")  # chat 1 strictly in order
    assert log.index("b1 end") < log.index("a1 end")  # chat 2 did not wait for chat 1
    assert processor.turns._locks == {}  # nothing kept for idle chats
