"""Stopping the outbox worker: no new rows are taken, a send under way finishes and is recorded, and a
sender that never returns cannot hold the stop up for longer than its bound."""

from __future__ import annotations

import asyncio
import time

from bot.tickets.models import PENDING, SENT
from bot.tickets.outbox import Delivery, OutboxItem
from tests.tickets.test_outbox import put, rows


class Slow:
    """A sender whose sends take `seconds` (forever: None); `started` is set when one begins."""

    def __init__(self, seconds: float | None):
        self.seconds = seconds
        self.started = asyncio.Event()
        self.sent: list[int] = []

    async def send(self, item: OutboxItem) -> Delivery:
        self.started.set()
        await asyncio.sleep(self.seconds if self.seconds is not None else 3600)
        self.sent.append(item.id)
        return Delivery(f"m{item.id}")


async def test_a_stop_waits_for_the_send_under_way_and_marks_it(desk, database):
    sender = desk.worker.senders["telegram"] = Slow(0.5)
    [row_id] = await put(database, "4711", 1)
    desk.start(reminders=False)
    await asyncio.wait_for(sender.started.wait(), 10)
    await desk.stop()
    assert sender.sent == [row_id]
    row = (await rows(database))[row_id]
    assert (row.status, row.external_message_id, row.locked_until) == (SENT, f"m{row_id}", None)


async def test_a_stopped_worker_takes_no_new_rows(desk, database):
    sender = desk.worker.senders["telegram"] = Slow(0)
    desk.start(reminders=False)
    await desk.stop()
    [row_id] = await put(database, "4711", 1)
    desk.worker.wake()
    await asyncio.sleep(0.1)
    assert sender.sent == []
    row = (await rows(database))[row_id]
    assert (row.status, row.attempts, row.locked_until) == (PENDING, 0, None)


async def test_rows_claimed_while_stopping_are_given_back_untried(desk, database):
    sender = desk.worker.senders["telegram"] = Slow(0)
    [row_id] = await put(database, "4711", 1)
    claim = desk.worker.claim

    async def claim_then_stop():  # the stop arrives while the claim's transaction runs
        items = await claim()
        desk.worker.stop()
        return items

    desk.worker.claim = claim_then_stop
    desk.start(reminders=False)
    await asyncio.wait_for(desk.delivering, 10)
    assert sender.sent == []
    row = (await rows(database))[row_id]
    assert (row.status, row.attempts, row.locked_until) == (PENDING, 0, None)  # due for the next run at once


async def test_a_sender_that_never_returns_is_cancelled_after_the_bound(desk, database):
    sender = desk.worker.senders["telegram"] = Slow(None)
    [row_id] = await put(database, "4711", 1)
    desk.start(reminders=False)
    await asyncio.wait_for(sender.started.wait(), 10)
    started = time.monotonic()
    await desk.stop(within=0.3)
    assert time.monotonic() - started < 3
    row = (await rows(database))[row_id]
    assert row.status == PENDING and row.locked_until is not None  # sent again after its lease (at-least-once)
