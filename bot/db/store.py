"""Database-backed repositories: the dialogue's ChatStore, and the inbox of processed updates."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import Database
from bot.db.models import Chat, DecisionLog, Feedback, ProcessedUpdate, utcnow
from bot.decision import Decision


def _insert(database: Database, model):
    """INSERT with ON CONFLICT support, in the dialect of the database (SQLite or PostgreSQL)."""
    return (postgresql.insert if database.dialect == "postgresql" else sqlite.insert)(model)


async def chat_row_id(database: Database, session: AsyncSession, channel: str, external_id: str) -> int:
    """The id of the chat's row, created on first contact; marks the chat as seen now.

    One statement, and a write: on SQLite a transaction that reads first can fail with "database
    is locked" when another process wrote in between, whatever the busy timeout.
    """
    now = utcnow()
    statement = (_insert(database, Chat)
                 .values(channel=channel, external_id=external_id, created_at=now, updated_at=now)
                 .on_conflict_do_update(index_elements=["channel", "external_id"], set_={"updated_at": now})
                 .returning(Chat.id))
    return (await session.execute(statement)).scalar_one()


class DbChatStore:
    """The dialogue's memory (bot.store.ChatStore) in the database."""

    CACHED_CHATS = 100_000

    def __init__(self, database: Database):
        self.database = database
        self._chat_ids: dict[tuple[str, str], int] = {}  # row ids never change: saves a statement per question

    async def language(self, channel: str, chat_id: str) -> str | None:
        async with self.database.read() as session:
            return (await session.execute(
                select(Chat.language).where(Chat.channel == channel, Chat.external_id == chat_id))).scalar_one_or_none()

    async def set_language(self, channel: str, chat_id: str, lang: str) -> None:
        now = utcnow()
        statement = _insert(self.database, Chat).values(
            channel=channel, external_id=chat_id, language=lang, created_at=now, updated_at=now)
        statement = statement.on_conflict_do_update(
            index_elements=["channel", "external_id"], set_={"language": lang, "updated_at": now})
        async with self.database.transaction() as session:
            await session.execute(statement)

    async def record_decision(self, channel: str, chat_id: str, text: str, lang: str, decision: Decision) -> int:
        key = (channel, chat_id)
        try:
            return await self._insert_decision(key, text, lang, decision)
        except IntegrityError:
            if self._chat_ids.pop(key, None) is None:
                raise
            return await self._insert_decision(key, text, lang, decision)  # the chat was deleted meanwhile

    async def _insert_decision(self, key: tuple[str, str], text: str, lang: str, decision: Decision) -> int:
        async with self.database.transaction() as session:
            chat = self._chat_ids.get(key) or await chat_row_id(self.database, session, *key)
            row = DecisionLog(
                chat_id=chat, question=text, lang=lang, route=decision.route.value, faq_id=decision.faq_id,
                confidence=float(decision.confidence), reason=decision.reason,
                candidates=[{"faq_id": c.label, "confidence": round(c.confidence, 4)} for c in decision.candidates])
            session.add(row)
            await session.flush()
        if len(self._chat_ids) >= self.CACHED_CHATS:
            self._chat_ids.clear()
        self._chat_ids[key] = chat
        return row.id

    async def record_feedback(self, channel: str, chat_id: str, decision_id: int | None, faq_id: str,
                              helpful: bool) -> None:
        async with self.database.transaction() as session:
            chat = await chat_row_id(self.database, session, channel, chat_id)
            if decision_id is not None:
                # Button data comes from the client: only link decisions of this very chat.
                decision_id = (await session.execute(select(DecisionLog.id).where(
                    DecisionLog.id == decision_id, DecisionLog.chat_id == chat))).scalar_one_or_none()
            session.add(Feedback(chat_id=chat, decision_id=decision_id, faq_id=faq_id, helpful=helpful))


class Inbox:
    """Remembers which inbound updates were taken on, so that a redelivered one is processed once."""

    def __init__(self, database: Database):
        self.database = database

    async def claim(self, channel: str, external_id: str) -> bool:
        """Record the update; False if it was recorded before (a redelivery)."""
        statement = _insert(self.database, ProcessedUpdate).values(
            channel=channel, external_id=external_id, processed_at=utcnow()).on_conflict_do_nothing()
        async with self.database.transaction() as session:
            return (await session.execute(statement)).rowcount == 1

    async def prune(self, older_than: timedelta, now: datetime | None = None) -> int:
        """Drop records nobody can redeliver any more (Telegram keeps updates for 24 hours)."""
        cutoff = (now or utcnow()) - older_than
        async with self.database.transaction() as session:
            result = await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < cutoff))
            return result.rowcount
