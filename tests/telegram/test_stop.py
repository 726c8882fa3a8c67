"""Stopping the bot while the outbox is sending to Telegram: the send under way finishes and is marked,
so that the employer gets the message once, also after the next start and the lease's end."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from sqlalchemy import select

from bot.db import Database
from bot.db.models import utcnow
from bot.messages import Reply
from bot.tickets.models import SENT, OutboxMessage
from bot.tickets.outbox import enqueue, reply_payload
from handlers.telegram_app import running

CHAT = 4242


async def test_a_stop_during_a_send_lets_it_finish_and_the_employer_gets_it_once(
    tg_config, shared_core, standin, database_url
):
    standin.delay("sendMessage", 1.0)  # Telegram has the message; its answer comes a second later
    async with running(tg_config, knowledge=shared_core.knowledge) as bot:
        runtime = bot.runtime
        async with runtime.database.transaction() as session:
            enqueue(session, "telegram", CHAT, reply_payload(Reply("Ihr Ticket #7 wurde beantwortet."), "de"))
        runtime.desk.worker.wake()
        deadline = time.monotonic() + 20
        while not standin.of("sendMessage", CHAT, ok_only=False):  # arrived, not yet answered
            assert time.monotonic() < deadline, "the outbox did not send"
            await asyncio.sleep(0.01)
        stopping = time.monotonic()  # the send is under way: now stop
    assert time.monotonic() - stopping >= 0.5  # the stop waited for Telegram's answer
    async with Database(database_url) as database, database.read() as session:
        [row] = (await session.execute(select(OutboxMessage))).scalars()
    assert (row.status, row.locked_until) == (SENT, None)

    standin.delay("sendMessage", 0)
    async with running(tg_config, knowledge=shared_core.knowledge) as bot:
        worker = bot.runtime.desk.worker
        lease = timedelta(seconds=worker.settings.lease_seconds + 1)
        worker.clock = lambda: utcnow() + lease  # a lease left behind would have ended
        assert await worker.deliver_due() == 0
    assert len(standin.of("sendMessage", CHAT, ok_only=False)) == 1
