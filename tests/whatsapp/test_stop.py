"""Stopping the runtime while the outbox is sending to WhatsApp: the send under way finishes and is
marked, so that the employer gets the message once, also after the next start and the lease's end.

The outbox worker runs in the background here, as in production (the other WhatsApp tests drain it).
"""

from __future__ import annotations

import asyncio
import json
import time

from sqlalchemy import select

from bot.db import Database
from bot.tickets.models import PENDING, SENT, OutboxMessage
from tests.whatsapp.conftest import Employer, start_lotse


async def until(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def rows(url: str) -> list[OutboxMessage]:
    async with Database(url) as database, database.read() as session:
        return list((await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())


async def test_a_stop_during_a_send_lets_it_finish_and_the_employer_gets_it_once(
    config, shared_core, standin, clock, tmp_path
):
    url = f"sqlite+aiosqlite:///{tmp_path}/lotse.db"
    standin.hold_seconds = 1.0  # Meta has taken the message; its answer comes a second later
    async with start_lotse(config, url, shared_core.knowledge, standin, clock) as lotse:
        lotse.desk.start(reminders=False)
        anna = Employer(lotse)
        assert await lotse.post(anna.text("Was ist die Blaue Karte?")) == 200
        await until(lambda: standin.calls)  # the send is under way: now stop
        stopping = time.monotonic()
    assert time.monotonic() - stopping >= 0.5  # the stop waited for the answer
    [row] = await rows(url)
    assert (row.status, row.locked_until, row.external_message_id) == (SENT, None, standin.calls[-1].wamid)
    taken = [json.dumps(call.body, sort_keys=True) for call in standin.accepted(anna.address)]
    assert taken and len(set(taken)) == len(taken)  # the turn's parts, each once

    standin.hold_seconds = 0
    async with start_lotse(config, url, shared_core.knowledge, standin, clock) as lotse:
        clock.advance(seconds=lotse.config.tickets.outbox.lease_seconds + 1)  # a lease left behind would end now
        assert await lotse.drain() == 0
    assert [json.dumps(call.body, sort_keys=True) for call in standin.accepted(anna.address)] == taken


async def test_a_stop_while_the_graph_api_hangs_ends_with_the_senders_timeout(
    config, shared_core, standin, clock, tmp_path
):
    url = f"sqlite+aiosqlite:///{tmp_path}/lotse.db"
    standin.hold_seconds = 60
    async with start_lotse(config, url, shared_core.knowledge, standin, clock, request_timeout_seconds=1) as lotse:
        lotse.desk.start(reminders=False)
        anna = Employer(lotse)
        assert await lotse.post(anna.text("Was ist die Blaue Karte?")) == 200
        await until(lambda: standin.calls)
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 5  # the request's 1 s, not the Graph API's 60
    [row] = await rows(url)
    assert (row.status, row.locked_until) == (PENDING, None)  # the outcome is recorded: tried again later
    assert "TimeoutError" in (row.last_error or "")
