"""The database foundation: migrations, the engine's hooks, the chat store and the inbox.

Runs on a SQLite file; on PostgreSQL too with LOTSE_TEST_DATABASE_URL=postgresql+asyncpg://...
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from bot.db import Base, Chat, Database, DatabaseError, DbChatStore, DecisionLog, Feedback, Inbox, prepare
from bot.db.migrate import current_revision, head_revision
from bot.decision import Decision, Route
from nlu.types import Scored

ANSWER = Decision(Route.ANSWER, "permit.application", 0.91, (Scored("permit.application", 0.91),), "confident")


@pytest.fixture
async def database(database_url):
    async with Database(database_url) as db:
        await prepare(db, migrate=True)
        yield db


async def test_migrations_bring_an_empty_database_to_head_and_match_the_models(database):
    assert await current_revision(database) == head_revision()

    def differences(connection):
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)

    async with database.engine.connect() as connection:
        assert await connection.run_sync(differences) == []  # models and migrations say the same


async def test_without_migrate_an_empty_database_is_refused_with_advice(database_url):
    async with Database(database_url) as db:
        with pytest.raises(DatabaseError, match=r"python -m bot.db upgrade"):
            await prepare(db, migrate=False)


async def test_an_unreachable_database_is_reported_without_the_password():
    async with Database("postgresql+asyncpg://lotse:hunter2@127.0.0.1:1/lotse") as db:
        with pytest.raises(DatabaseError) as caught:
            await prepare(db, migrate=True)
    assert "hunter2" not in str(caught.value) and "127.0.0.1:1" in str(caught.value)


async def test_sqlite_runs_in_wal_mode_with_a_busy_timeout_and_foreign_keys(tmp_path):
    async with Database(f"sqlite+aiosqlite:///{tmp_path}/new/dir/lotse.db") as db:  # the folder is created
        async with db.engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await connection.execute(text("PRAGMA busy_timeout"))).scalar() == 5000
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1


async def test_language_is_remembered_per_channel_and_chat(database):
    store = DbChatStore(database)
    assert await store.language("telegram", "1") is None
    await store.set_language("telegram", "1", "en")
    await store.set_language("telegram", "1", "de")
    await store.set_language("whatsapp", "1", "en")
    assert await store.language("telegram", "1") == "de"
    assert await store.language("whatsapp", "1") == "en"


async def test_decisions_and_feedback_are_stored_with_everything_the_editors_need(database):
    store = DbChatStore(database)
    decision_id = await store.record_decision("telegram", "1", "Arbeitserlaubnis?", "de", ANSWER)
    await store.record_feedback("telegram", "1", decision_id, "permit.application", False)
    await store.record_feedback("telegram", "2", decision_id, "permit.application", True)  # someone else's id
    await store.record_feedback("telegram", "1", 987654, "permit.application", True)  # forged id
    async with database.transaction() as session:
        decision = (await session.execute(select(DecisionLog))).scalar_one()
        feedback = (await session.execute(select(Feedback).order_by(Feedback.id))).scalars().all()
        chats = (await session.execute(select(Chat.external_id).order_by(Chat.id))).scalars().all()
    assert (decision.question, decision.lang, decision.route, decision.faq_id, decision.reason) == (
        "Arbeitserlaubnis?", "de", "answer", "permit.application", "confident")
    assert decision.confidence == pytest.approx(0.91)
    assert decision.candidates == [{"faq_id": "permit.application", "confidence": 0.91}]
    assert decision.created_at.tzinfo is not None
    assert abs(decision.created_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert [(f.decision_id, f.helpful) for f in feedback] == [(decision_id, False), (None, True), (None, True)]
    assert chats == ["1", "2"]


async def test_first_questions_of_many_chats_at_once_are_each_logged_under_their_own_chat(database):
    await DbChatStore(database).set_language("telegram", "known", "en")  # a chat with a row already
    store = DbChatStore(database)  # a new process: no row ids remembered
    chats = ["known", "a", "b", "c", "a", "d", "b"]  # arrive together: one batch, repeated chats in it
    ids = await asyncio.gather(*(store.record_decision("telegram", chat, f"Frage {n}", "de", ANSWER)
                                 for n, chat in enumerate(chats)))
    async with database.read() as session:
        logged = {row.id: (row.external_id, row.question) for row in await session.execute(
            select(DecisionLog.id, Chat.external_id, DecisionLog.question).join(Chat, Chat.id == DecisionLog.chat_id))}
        rows = (await session.execute(select(Chat.external_id, Chat.language))).all()
    assert [logged[i] for i in ids] == [(chat, f"Frage {n}") for n, chat in enumerate(chats)]
    assert sorted(rows) == [("a", None), ("b", None), ("c", None), ("d", None), ("known", "en")]


async def test_an_update_is_claimed_once_and_old_claims_are_pruned(database):
    inbox = Inbox(database)
    assert await inbox.claim("telegram", "42") is True
    assert await inbox.claim("telegram", "42") is False
    assert await inbox.claim("whatsapp", "42") is True  # ids are per channel
    assert await inbox.prune(timedelta(days=3)) == 0
    assert await inbox.prune(timedelta(days=3), now=datetime.now(UTC) + timedelta(days=4)) == 2
    assert await inbox.claim("telegram", "42") is True


async def test_deleting_a_chat_deletes_its_decisions_and_feedback(database):
    store = DbChatStore(database)
    decision_id = await store.record_decision("telegram", "7", "Frage", "de", ANSWER)
    await store.record_feedback("telegram", "7", decision_id, "permit.application", True)
    async with database.transaction() as session:
        await session.execute(Chat.__table__.delete().where(Chat.external_id == "7"))
    async with database.transaction() as session:
        assert (await session.execute(select(DecisionLog))).first() is None
        assert (await session.execute(select(Feedback))).first() is None


# -- SQLite reads in the event loop's thread (bot/db/engine.py, _InlineReader) -----------------------------------


async def test_sqlite_reads_see_what_was_just_written_and_cannot_write(tmp_path):
    async with Database(f"sqlite+aiosqlite:///{tmp_path}/lotse.db") as database:
        await prepare(database, migrate=True)
        store = DbChatStore(database)
        await store.set_language("telegram", "42", "en")
        assert await store.language("telegram", "42") == "en"
        await store.set_language("telegram", "42", "de")
        assert await store.language("telegram", "42") == "de"
        async with database.statement(write=False) as reader:
            with pytest.raises(OperationalError, match="readonly"):
                await reader.execute(text("DELETE FROM chats"))
        assert await store.language("telegram", "42") == "de"


async def test_a_locked_sqlite_file_does_not_block_the_event_loop_and_the_read_still_answers(tmp_path):
    path = tmp_path / "lotse.db"
    async with Database(f"sqlite+aiosqlite:///{path}") as database:
        await prepare(database, migrate=True)
        store = DbChatStore(database)
        await store.set_language("telegram", "42", "en")
        await database.dispose()  # closes the pooled connections (they reopen on demand): the lock below needs that
        locked, release = threading.Event(), threading.Event()

        def other_process_holding_an_exclusive_lock():
            connection = sqlite3.connect(path, isolation_level=None)
            connection.execute("PRAGMA locking_mode=EXCLUSIVE")
            connection.execute("BEGIN EXCLUSIVE")
            connection.execute("UPDATE chats SET language = 'de'")
            locked.set()
            release.wait(5)
            connection.execute("COMMIT")
            connection.close()

        holder = threading.Thread(target=other_process_holding_an_exclusive_lock)
        holder.start()
        await asyncio.to_thread(locked.wait, 5)
        gaps: list[float] = []

        async def ticker():
            last = time.monotonic()
            while True:
                await asyncio.sleep(0.01)
                gaps.append(time.monotonic() - last)
                last = time.monotonic()

        ticking = asyncio.create_task(ticker())
        reading = asyncio.create_task(store.language("telegram", "42"))
        await asyncio.sleep(0.3)
        assert not reading.done()  # waiting for the lock, in aiosqlite's thread
        release.set()
        assert await reading == "de"  # the other process's committed change
        ticking.cancel()
        holder.join()
        assert max(gaps) < 0.2  # the loop went on meanwhile


# -- the batched writes of every update (Database.run_write; on SQLite in a thread of its own) -----------------


async def test_a_batch_write_is_one_transaction_undone_entirely_on_an_error(database):
    def two_chats_then_a_failure(connection):
        connection.execute(Chat.__table__.insert(), [
            {"channel": "telegram", "external_id": "x1", "created_at": datetime.now(UTC), "updated_at": datetime.now(UTC)},
            {"channel": "telegram", "external_id": "x2", "created_at": datetime.now(UTC), "updated_at": datetime.now(UTC)}])
        raise LookupError("something went wrong after the inserts")

    with pytest.raises(LookupError):
        await database.run_write(two_chats_then_a_failure)
    async with database.read() as session:
        assert (await session.execute(select(Chat.external_id))).all() == []
    assert await database.run_write(lambda connection: connection.execute(text("SELECT 41 + 1")).scalar()) == 42


async def test_a_batch_write_waits_for_a_transaction_in_progress_and_survives_dispose(database):
    store = DbChatStore(database)
    holding = asyncio.Event()

    async def long_transaction():
        async with database.transaction() as session:
            session.add(Chat(channel="telegram", external_id="slow", language="de"))
            await session.flush()
            holding.set()
            await asyncio.sleep(0.3)

    holder = asyncio.create_task(long_transaction())
    await holding.wait()
    decision = await store.record_decision("telegram", "fast", "Frage", "de", ANSWER)  # no "database is locked"
    await holder
    await database.dispose()  # pools closed, the writer's thread stopped; both come back on demand
    assert await store.record_decision("telegram", "fast", "Noch eine", "de", ANSWER) > decision
    async with database.read() as session:
        assert sorted((await session.execute(select(Chat.external_id))).scalars()) == ["fast", "slow"]


async def test_sqlite_reads_run_directly_give_what_sqlalchemy_gives(tmp_path):
    from sqlalchemy import bindparam

    from bot.tickets.conversation import _VIEW, ConversationStore, State

    async with Database(f"sqlite+aiosqlite:///{tmp_path}/lotse.db") as database:
        await prepare(database, migrate=True)
        store = DbChatStore(database)
        await store.set_language("telegram", "1", "en")
        await ConversationStore(database).set("telegram", "1", State("handover", "company", {"team": "authority", "n": [1, 2]}))
        await store.record_decision("telegram", "1", "Frage", "de", ANSWER)
        since = datetime.now(UTC) - timedelta(hours=1)
        statements = [  # (statement, parameters): JSON and EXISTS columns, a datetime parameter, an IN list
            (_VIEW, {"channel": "telegram", "chat_id": "1"}), (_VIEW, {"channel": "telegram", "chat_id": "2"}),
            (select(DecisionLog.question, DecisionLog.created_at).where(DecisionLog.created_at > bindparam("since")),
             {"since": since}),
            (select(Chat.external_id).where(Chat.channel.in_(["telegram", "web"])), {}),
        ]
        async with database.statement(write=False) as reader:
            for statement, parameters in statements:
                direct = (await reader.execute(statement, parameters)).all()
                async with database.engine.connect() as connection:
                    expected = (await connection.execute(statement, parameters)).all()
                assert [tuple(row) for row in direct] == [tuple(row) for row in expected]
                assert [row._fields for row in direct] == [row._fields for row in expected]
