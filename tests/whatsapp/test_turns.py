"""The turns of several chats written together (bot/window/turns.py): one transaction, and each chat
gets what it would have got alone: a new chat its notice, a known one its held rows released before
the answer, the template's tap "nothing waiting" only when nothing was held, an erased chat no window."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.config import WhatsAppSettings
from bot.tickets.models import PENDING, OutboxMessage
from bot.tickets.outbox import enqueue
from bot.window.models import WhatsAppChat
from bot.window.service import WindowService
from bot.window.turns import Turn
from tests.tickets.conftest import database, db_url  # noqa: F401  (fixtures)

NOTICE, NOTHING = {"text": "notice"}, {"text": "nothing waiting"}


def turn(chat: str, at, text: str, **options) -> Turn:
    return Turn(chat, None, at, [{"text": text}] if text else [], "de", notice=NOTICE, **options)


async def test_turns_taken_together_each_get_what_they_would_alone(database, clock):  # noqa: F811
    settings = WhatsAppSettings()  # the window rules need no credentials
    woken = []
    window = WindowService(database, settings, clock=clock, on_release=lambda: woken.append(1))
    earlier = clock() - timedelta(hours=30)
    await window.take(turn("known", earlier, "hello"))
    async with database.transaction() as session:  # an answer held for "known" (its window had closed)
        enqueue(session, "whatsapp", "known", {"text": "held answer"}, now=clock() + timedelta(hours=24))
        enqueue(session, "whatsapp", "quiet", {"text": "held for another"}, now=clock() + timedelta(hours=24))

    now = clock()
    taken = await asyncio.gather(  # taken at the same moment: one write for all of them
        window.take(turn("new-1", now, "first question")),
        window.take(turn("known", now, "", if_nothing_released=NOTHING)),  # the template's tap
        window.take(turn("new-2", now, "", if_nothing_released=NOTHING)),
        window.take(turn("erased", now, "deleted", erased=True)),
    )
    assert [(t.first, t.released) for t in taken] == [(True, 0), (False, 1), (True, 0), (False, 0)]
    assert [t.outbox_id is None for t in taken] == [False, True, False, False] and woken  # known: see below
    async with database.read() as session:
        chats = {c.chat_id: c for c in (await session.execute(select(WhatsAppChat))).scalars()}
        rows = {r.id: r for r in (await session.execute(select(OutboxMessage))).scalars()}
    assert set(chats) == {"known", "new-1", "new-2"} and chats["known"].last_inbound_at == now
    new_1, new_2, erased = (rows[t.outbox_id].payload["turn"] for t in (taken[0], taken[2], taken[3]))
    assert new_1 == [NOTICE, {"text": "first question"}]
    assert new_2 == [NOTICE, NOTHING] and erased == [{"text": "deleted"}]
    # The tap of "known" released its held answer, which is the reply: due now, nothing added.
    [held] = [r for r in rows.values() if r.payload.get("text") == "held answer"]
    assert held.status == PENDING and held.next_attempt_at == now
    [other] = [r for r in rows.values() if r.payload.get("text") == "held for another"]
    assert other.next_attempt_at > now  # a chat that did not write keeps waiting
