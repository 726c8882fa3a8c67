"""The database foundation: migrations, the engine's hooks, the chat store and the inbox.

Runs on a SQLite file; on PostgreSQL too with LOTSE_TEST_DATABASE_URL=postgresql+asyncpg://...
"""

from __future__ import annotations

import asyncio
import contextlib
import stat
import time
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text

from bot.db import Chat, Database, DatabaseError, DbChatStore, DecisionLog, Feedback, Inbox, prepare
from bot.db.migrate import current_revision, head_revision
from bot.db.schema import metadata
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
        return compare_metadata(MigrationContext.configure(connection), metadata)

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
        "Arbeitserlaubnis?",
        "de",
        "answer",
        "permit.application",
        "confident",
    )
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
    ids = await asyncio.gather(
        *(store.record_decision("telegram", chat, f"Frage {n}", "de", ANSWER) for n, chat in enumerate(chats))
    )
    async with database.read() as session:
        logged = {
            row.id: (row.external_id, row.question)
            for row in await session.execute(
                select(DecisionLog.id, Chat.external_id, DecisionLog.question).join(
                    Chat, Chat.id == DecisionLog.chat_id
                )
            )
        }
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


# -- SQLite's one writer: this process's writers take turns (bot/db/engine.py, Database.transaction) -----------


async def test_sqlite_writers_that_read_first_take_turns_instead_of_failing_with_database_is_locked(tmp_path):
    async with Database(f"sqlite+aiosqlite:///{tmp_path}/lotse.db") as database:
        await prepare(database, migrate=True)
        async with database.transaction() as session:
            session.add(Chat(channel="telegram", external_id="counter", language="de"))
        both_have_read = asyncio.Barrier(2)

        async def read_then_write(lang: str) -> None:
            async with database.transaction() as session:
                await session.execute(select(Chat.language).where(Chat.external_id == "counter"))
                with contextlib.suppress(TimeoutError):  # without turns both would read, then collide writing
                    await asyncio.wait_for(both_have_read.wait(), timeout=0.3)
                await session.execute(
                    Chat.__table__.update().where(Chat.external_id == "counter").values(language=lang)
                )

        await asyncio.gather(read_then_write("en"), read_then_write("de"))
        async with database.read() as session:
            assert (await session.execute(select(Chat.language))).scalar_one() == "de"  # both ran, in order


async def test_sqlite_reads_do_not_wait_for_a_writer_in_progress(tmp_path):
    async with Database(f"sqlite+aiosqlite:///{tmp_path}/lotse.db") as database:
        await prepare(database, migrate=True)
        store = DbChatStore(database)
        await store.set_language("telegram", "42", "en")
        writing = asyncio.Event()

        async def long_write():
            async with database.transaction() as session:
                await session.execute(Chat.__table__.update().values(language="de"))
                writing.set()
                await asyncio.sleep(0.5)

        writer = asyncio.create_task(long_write())
        await writing.wait()
        started = time.monotonic()
        assert await store.language("telegram", "42") == "en"  # the committed state, while the write goes on
        assert time.monotonic() - started < 0.4
        await writer
        assert await store.language("telegram", "42") == "de"


async def test_a_decision_write_waits_for_a_transaction_in_progress_and_survives_dispose(database):
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
    await database.dispose()  # pools closed; they come back on demand
    assert await store.record_decision("telegram", "fast", "Noch eine", "de", ANSWER) > decision
    async with database.read() as session:
        assert sorted((await session.execute(select(Chat.external_id))).scalars()) == ["fast", "slow"]


async def test_the_sqlite_file_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "new" / "lotse.db"
    async with Database(f"sqlite+aiosqlite:///{path}") as database:
        await prepare(database, migrate=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
