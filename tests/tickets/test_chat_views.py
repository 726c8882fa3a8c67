"""Every message first reads its chat's view; many chats asking at once share one read, and many
decisions one INSERT (bot/db/batch.py), on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from contextlib import contextmanager

from sqlalchemy import event, select

from bot.db import Database, DbChatStore, DecisionLog, prepare
from bot.decision import Decision, Route
from bot.tickets.conversation import ChatView, ConversationStore, State
from bot.tickets.service import Contact, TicketService
from nlu.types import Scored


@contextmanager
def statements(database):
    """Counts the statements sent to the database, by their first words ("SELECT chats", "INSERT INTO decisions")."""
    seen: Counter[str] = Counter()

    def count(_connection, _cursor, statement, *_args) -> None:
        words = statement.split()
        seen[" ".join(words[:3] if words[0] == "INSERT" else words[:1])] += 1

    event.listen(database.engine.sync_engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", count)


async def open_ticket(tickets: TicketService, chat_id: str):
    return await tickets.open(
        channel="telegram",
        chat_id=chat_id,
        team="coordinator",
        lang="de",
        question="Wer hilft bei der Anerkennung?",
        company="Bäckerei Korn",
        contact=Contact("chat", None),
    )


async def test_chats_asking_at_once_each_get_their_own_view_from_one_read(database, config):
    views, chats, tickets = ConversationStore(database), DbChatStore(database), TicketService(database, config)
    await chats.set_language("telegram", "en-speaker", "en")
    await chats.set_district("telegram", "from-nord", "nord")
    await views.set("telegram", "in-a-flow", State("handover", "company", {"team": "authority"}))  # no chats row
    await open_ticket(tickets, "with-ticket")
    await open_ticket(tickets, "with-ticket")  # two open tickets: still one view
    closed = await open_ticket(tickets, "ticket-closed")
    await tickets.solve(closed.id, "telegram", "ticket-closed")
    await chats.set_language("whatsapp", "en-speaker", "de")  # the same id on another channel is another chat

    asked = ["en-speaker", "from-nord", "in-a-flow", "with-ticket", "ticket-closed", "never-seen"] * 5
    with statements(database) as seen:
        got = await asyncio.gather(*(views.view("telegram", chat) for chat in asked))

    expected = {
        "en-speaker": ChatView("en", None, False),
        "from-nord": ChatView(None, None, False, "nord"),
        "in-a-flow": ChatView(None, State("handover", "company", {"team": "authority"}), False),
        "with-ticket": ChatView(None, None, True),
        "ticket-closed": ChatView(None, None, False),
        "never-seen": ChatView(None, None, False),
    }
    assert got == [expected[chat] for chat in asked]
    assert seen["SELECT"] == 1  # all 30 asked before the first read started: one read, not 30


async def test_a_view_read_after_a_write_sees_it(database):
    views = ConversationStore(database)
    for step in ("company", "contact", "confirm"):
        await views.set("telegram", "9", State("handover", step, {"team": "authority"}))
        view, other = await asyncio.gather(views.view("telegram", "9"), views.view("telegram", "10"))
        assert view.state == State("handover", step, {"team": "authority"}) and other.state is None
    await views.clear("telegram", "9")
    assert (await views.view("telegram", "9")).state is None


async def test_concurrent_decisions_are_one_insert_and_each_caller_gets_its_own_row(database):
    store = DbChatStore(database)
    await store.record_decision("telegram", "0", "warm-up", "de", _decision("faq.warm"))  # the first INSERT of its own

    def question(n: int) -> str:
        return f"question {n}"

    with statements(database) as seen:
        ids = await asyncio.gather(
            *(
                store.record_decision("telegram", str(n % 5), question(n), "de", _decision(f"faq.{n}"))
                for n in range(30)
            )
        )
    assert seen["INSERT INTO decisions"] <= 2  # not one per row (SQLite needs the insert sentinel for that)
    async with database.read() as session:
        rows = {row.id: row for row in (await session.execute(select(DecisionLog))).scalars()}
    assert [(rows[i].question, rows[i].faq_id) for i in ids] == [(question(n), f"faq.{n}") for n in range(30)]


def _decision(faq_id: str) -> Decision:
    return Decision(Route.ANSWER, faq_id, 0.9, (Scored(faq_id, 0.9),), "confident")


async def test_the_view_read_searches_indexes_and_never_scans_a_table(tmp_path):
    """SQLite scans a whole table for a row-value "(channel, id) IN (...)": the read must not.

    (SQLite only: PostgreSQL's plan depends on its table statistics.)"""
    async with Database(f"sqlite+aiosqlite:///{tmp_path}/lotse.db") as database:
        await prepare(database, migrate=True)
        plan = await _plan_of_a_view_read(database)
    tables = ("chats", "conversation_states", "tickets")
    assert {table for table in tables for step in plan if step.startswith(f"SEARCH {table} USING")} == set(tables)
    assert not [step for step in plan if any(step.startswith(f"SCAN {table}") for table in tables)], plan


async def _plan_of_a_view_read(database) -> list[str]:
    views = ConversationStore(database)
    reads: list[tuple[str, tuple]] = []

    def keep(_connection, _cursor, statement, parameters, *_args) -> None:
        if statement.lstrip().startswith("SELECT") and "conversation_states" in statement:
            reads.append((statement, tuple(parameters)))

    event.listen(database.engine.sync_engine, "before_cursor_execute", keep)
    try:
        await asyncio.gather(*(views.view("telegram", str(n)) for n in range(3)))
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", keep)
    assert len(reads) == 1
    async with database.read() as session:
        connection = await session.connection()
        return [row[3] for row in await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + reads[0][0], reads[0][1])]
