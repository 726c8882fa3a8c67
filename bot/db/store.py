"""Database-backed repositories: the dialogue's ChatStore, and the inbox of processed updates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.batch import Batched
from bot.db.engine import Database
from bot.db.models import Chat, DecisionLog, Feedback, ProcessedUpdate, utcnow
from bot.decision import Decision


def _insert(database: Database, model):
    """INSERT with ON CONFLICT support, in the dialect of the database (SQLite or PostgreSQL)."""
    return (postgresql.insert if database.dialect == "postgresql" else sqlite.insert)(model)


def _upsert_chats(database: Database, keys: Sequence[tuple[str, str]]):
    """INSERT the chats' rows, or mark existing ones as seen now; returns (id, channel, external_id).

    One statement, and a write: on SQLite a transaction that reads first can fail with "database
    is locked" when another process wrote in between, whatever the busy timeout.
    """
    now = utcnow()
    return (
        _insert(database, Chat)
        .values(
            [
                {"channel": channel, "external_id": external_id, "created_at": now, "updated_at": now}
                for channel, external_id in dict.fromkeys(keys)
            ]
        )
        .on_conflict_do_update(index_elements=["channel", "external_id"], set_={"updated_at": now})
        .returning(Chat.id, Chat.channel, Chat.external_id)
    )


async def chat_row_id(database: Database, session: AsyncSession, channel: str, external_id: str) -> int:
    """The id of the chat's row, created on first contact; marks the chat as seen now."""
    return (await session.execute(_upsert_chats(database, [(channel, external_id)]))).one().id


async def chat_row_ids(
    database: Database, session: AsyncSession, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """`chat_row_id` for many chats in one statement: {(channel, external_id): row id}.

    A batch of first questions (say, after a restart) would otherwise upsert its chats one by one,
    each a round trip while the batch holds SQLite's writer turn.
    """
    result = await session.execute(_upsert_chats(database, keys))
    return {(row.channel, row.external_id): row.id for row in result}


# The statements run on every update are built once, with parameters: building and hashing a new
# statement for every call cost more CPU than running it (SQLAlchemy then reuses the compiled form).
_LANGUAGE = select(Chat.language).where(
    Chat.channel == bindparam("channel"), Chat.external_id == bindparam("external_id")
)
# Many rows, one INSERT; SQLAlchemy matches the returned ids to the rows' order.
_DECISIONS = insert(cast(Table, DecisionLog.__table__)).returning(DecisionLog.id, sort_by_parameter_order=True)
MAX_BATCH = 100  # rows per INSERT: well within both databases' limits on parameters


class DbChatStore:
    """The dialogue's memory (bot.store.ChatStore) in the database."""

    CACHED_CHATS = 100_000

    def __init__(self, database: Database):
        self.database = database
        self._chat_ids: dict[tuple[str, str], int] = {}  # row ids never change: saves a statement per question
        self._decisions = Batched(self._insert_decisions, max_batch=MAX_BATCH)

    async def language(self, channel: str, chat_id: str) -> str | None:
        async with self.database.read() as session:
            result = await session.execute(_LANGUAGE, {"channel": channel, "external_id": chat_id})
            return result.scalar_one_or_none()

    async def set_language(self, channel: str, chat_id: str, lang: str) -> None:
        await self._set(channel, chat_id, language=lang)

    async def district(self, channel: str, chat_id: str) -> str | None:
        async with self.database.read() as session:
            result = await session.execute(
                select(Chat.district).where(Chat.channel == channel, Chat.external_id == chat_id)
            )
            return result.scalar_one_or_none()

    async def set_district(self, channel: str, chat_id: str, district: str) -> None:
        await self._set(channel, chat_id, district=district)

    async def _set(self, channel: str, chat_id: str, **values: str) -> None:
        """Set columns of the chat's row, creating the row on first contact."""
        now = utcnow()
        statement = _insert(self.database, Chat).values(
            channel=channel, external_id=chat_id, created_at=now, updated_at=now, **values
        )
        statement = statement.on_conflict_do_update(
            index_elements=["channel", "external_id"], set_={**values, "updated_at": now}
        )
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
        row = {
            "question": text,
            "lang": lang,
            "route": decision.route.value,
            "faq_id": decision.faq_id,
            "confidence": float(decision.confidence),
            "reason": decision.reason,
            "created_at": utcnow(),
            "candidates": [{"faq_id": c.label, "confidence": round(c.confidence, 4)} for c in decision.candidates],
        }
        return await self._decisions((key, row))

    async def _insert_decisions(self, items: Sequence[tuple[tuple[str, str], dict]]) -> list[int]:
        """One INSERT for a batch of decisions (Core: no ORM session or flush); ids in the items' order."""
        chats = {key: self._chat_ids[key] for key, _ in items if key in self._chat_ids}
        new = [key for key, _ in items if key not in chats]

        async with self.database.transaction() as session:
            if new:  # a chat's first question in this process: its row, in the same transaction
                chats.update(await chat_row_ids(self.database, session, new))
            result = await session.execute(_DECISIONS, [row | {"chat_id": chats[key]} for key, row in items])
            ids = list(result.scalars().all())
        if len(self._chat_ids) + len(chats) >= self.CACHED_CHATS:
            self._chat_ids.clear()
        self._chat_ids.update(chats)
        return ids

    async def record_feedback(
        self, channel: str, chat_id: str, decision_id: int | None, faq_id: str, helpful: bool
    ) -> None:
        async with self.database.transaction() as session:
            chat = await chat_row_id(self.database, session, channel, chat_id)
            if decision_id is not None:
                # Button data comes from the client: only link decisions of this very chat.
                decision_id = (
                    await session.execute(
                        select(DecisionLog.id).where(DecisionLog.id == decision_id, DecisionLog.chat_id == chat)
                    )
                ).scalar_one_or_none()
            session.add(Feedback(chat_id=chat, decision_id=decision_id, faq_id=faq_id, helpful=helpful))


class Inbox:
    """Remembers which inbound updates were taken on, so that a redelivered one is processed once."""

    def __init__(self, database: Database):
        self.database = database
        self._claims = Batched(self._claim_many, max_batch=MAX_BATCH)
        # Built once (see _LANGUAGE); run with many rows it is still one INSERT (SQLAlchemy's "insertmanyvalues").
        self._claim = (
            _insert(database, ProcessedUpdate)
            .on_conflict_do_nothing()
            .returning(ProcessedUpdate.channel, ProcessedUpdate.external_id)
        )

    async def claim(self, channel: str, external_id: str) -> bool:
        """Record the update; False if it was recorded before (a redelivery)."""
        return await self._claims((channel, external_id))

    async def _claim_many(self, keys: Sequence[tuple[str, str]]) -> list[bool]:
        """Record a batch in one INSERT; True for each key recorded now (the first of equal keys)."""
        now = utcnow()
        rows = [
            {"channel": channel, "external_id": external_id, "processed_at": now}
            for channel, external_id in dict.fromkeys(keys)
        ]
        async with self.database.transaction() as session:
            new = {tuple(row) for row in await session.execute(self._claim, rows)}
        claimed = []
        for key in keys:
            claimed.append(key in new)
            new.discard(key)
        return claimed

    async def prune(self, older_than: timedelta, now: datetime | None = None) -> int:
        """Drop records nobody can redeliver any more (Telegram keeps updates for 24 hours)."""
        cutoff = (now or utcnow()) - older_than
        async with self.database.transaction() as session:
            result = cast(
                CursorResult[Any],
                await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < cutoff)),
            )
            return result.rowcount
