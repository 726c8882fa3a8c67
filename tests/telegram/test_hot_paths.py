"""The statements every update runs, made cheap (docs/telegram.md §7): group commit, one-statement reads.

Runs on a SQLite file; on PostgreSQL too with LOTSE_TEST_DATABASE_URL=postgresql+asyncpg://...
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.db import Database, DbChatStore, DecisionLog, Inbox, prepare
from bot.db.batch import Batched
from bot.decision import Decision, Route
from bot.tickets.conversation import ChatView, ConversationStore, State
from bot.tickets.service import Contact, TicketService
from nlu.types import Scored


@pytest.fixture
async def database(database_url):
    async with Database(database_url) as db:
        await prepare(db, migrate=True)
        yield db


def decision(faq_id: str) -> Decision:
    return Decision(Route.ANSWER, faq_id, 0.9, (Scored(faq_id, 0.9),), "confident")


async def test_concurrent_claims_are_written_together_and_a_repeated_update_is_claimed_once(database):
    inbox = Inbox(database)
    ids = [str(n) for n in range(30)] + ["7", "7", "12"]  # a redelivery arriving with the first delivery
    claimed = await asyncio.gather(*(inbox.claim("telegram", update_id) for update_id in ids))
    assert claimed[:30] == [True] * 30
    assert claimed[30:] == [False, False, False]
    assert await inbox.claim("telegram", "7") is False
    assert await inbox.claim("whatsapp", "7") is True


async def test_concurrent_decisions_get_the_ids_of_their_own_rows(database):
    store = DbChatStore(database)
    questions = [(str(n % 7), f"question {n}") for n in range(40)]  # seven chats, first contact for each
    ids = await asyncio.gather(
        *(
            store.record_decision("telegram", chat, text, "de", decision(f"faq.{n}"))
            for n, (chat, text) in enumerate(questions)
        )
    )
    ids += [await store.record_decision("telegram", "0", "question 40", "en", decision("faq.40"))]  # chat id cached
    assert len(set(ids)) == 41
    async with database.read() as session:
        rows = {row.id: row for row in (await session.execute(select(DecisionLog))).scalars()}
    for n, decision_id in enumerate(ids):
        assert rows[decision_id].question == f"question {n}"
        assert rows[decision_id].faq_id == f"faq.{n}"
        assert rows[decision_id].candidates == [{"faq_id": f"faq.{n}", "confidence": 0.9}]
    assert len({rows[i].chat_id for i in ids}) == 7


async def test_a_failing_item_fails_only_its_own_caller():
    calls = []

    async def write_many(items):
        calls.append(list(items))
        if "bad" in items:
            raise ValueError("bad item")
        await asyncio.sleep(0)
        return [item.upper() for item in items]

    batch = Batched(write_many)
    results = await asyncio.gather(batch("a"), batch("bad"), batch("c"), return_exceptions=True)
    assert results[0] == "A" and results[2] == "C"
    assert isinstance(results[1], ValueError)
    assert calls == [["a", "bad", "c"], ["a"], ["bad"], ["c"]]  # one batch; it failed, so one by one


async def test_a_cancelled_caller_does_not_disturb_the_batch():
    started = asyncio.Event()

    async def write_many(items):
        started.set()
        await asyncio.sleep(0.01)
        return list(items)

    batch = Batched(write_many)
    first = asyncio.create_task(batch(1))
    await started.wait()
    second, third = asyncio.create_task(batch(2)), asyncio.create_task(batch(3))
    await asyncio.sleep(0)
    second.cancel()
    assert await first == 1 and await third == 3
    with pytest.raises(asyncio.CancelledError):
        await second


async def test_state_and_open_ticket_are_read_together(database, config):
    states, tickets = ConversationStore(database), TicketService(database, config)
    assert await states.get_with_ticket("telegram", "5") == (None, False)

    await states.set("telegram", "5", State("handover", "company", {"team": "coordinator"}))
    assert await states.get_with_ticket("telegram", "5") == (
        State("handover", "company", {"team": "coordinator"}),
        False,
    )
    assert await states.get("telegram", "5") == State("handover", "company", {"team": "coordinator"})

    ticket = await tickets.open(
        channel="telegram",
        chat_id="5",
        team="coordinator",
        lang="de",
        question="Wer hilft bei der Anerkennung?",
        company="Bäckerei Korn",
        contact=Contact("chat", None),
    )
    await states.clear("telegram", "5")
    assert await states.get_with_ticket("telegram", "5") == (None, True)
    assert await states.get_with_ticket("telegram", "6") == (None, False)  # another chat's ticket does not count

    await tickets.solve(ticket.id, "telegram", "5")
    assert await states.get_with_ticket("telegram", "5") == (None, False)


async def test_the_chats_language_comes_with_the_same_read(database, config):
    states = ConversationStore(database)
    assert await states.view("telegram", "7") == ChatView(None, None, False)  # a chat never seen
    await DbChatStore(database).set_language("telegram", "7", "en")
    await states.set("telegram", "7", State("handover", "contact", {"team": "authority"}))
    assert await states.view("telegram", "7") == ChatView(
        "en", State("handover", "contact", {"team": "authority"}), False
    )
    assert (await states.view("web", "7")).language is None  # the same id on another channel is another chat
