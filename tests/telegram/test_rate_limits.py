"""Outgoing pace: per private chat on top of PTB's overall and group limits."""

from __future__ import annotations

import asyncio
import time

from handlers.telegram_app import PerChatRateLimiter


def limiter(per_second: float, burst: int) -> PerChatRateLimiter:
    return PerChatRateLimiter(
        overall_max_rate=1000,
        overall_time_period=1,
        group_max_rate=1000,
        group_time_period=1,
        max_retries=0,
        per_chat_per_second=per_second,
        per_chat_burst=burst,
    )


async def send_times(rate: PerChatRateLimiter, chat_ids: list[int]) -> dict[int, list[float]]:
    sent: dict[int, list[float]] = {}
    started = time.monotonic()

    async def send(chat_id: int):
        async def callback(*args, **kwargs):
            sent.setdefault(chat_id, []).append(time.monotonic() - started)
            return True

        await rate.process_request(callback, (), {}, "sendMessage", {"chat_id": str(chat_id)}, None)

    await rate.initialize()
    await asyncio.gather(*(send(c) for c in chat_ids))
    await rate.shutdown()
    return sent


async def test_one_chat_is_paced_after_its_burst_while_other_chats_are_not_held_up():
    rate = limiter(per_second=10, burst=2)  # 10 a second keeps the test short; the shape is the same at 1
    sent = await send_times(rate, [111] * 6 + [222])
    assert len(sent[111]) == 6
    assert sent[111][1] < 0.05  # the burst goes out at once
    assert sent[111][5] >= 0.35  # the rest at the chat's pace: 4 more at 10/s
    assert sent[222][0] < 0.05  # another chat is not held up behind it


async def test_groups_are_left_to_the_group_limit():
    rate = limiter(per_second=1, burst=1)
    sent = await send_times(rate, [-100123] * 3)
    assert sent[-100123][2] < 0.5  # a negative id is a group: no per-chat pace here
