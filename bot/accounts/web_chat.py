"""The web chat's transcripts in the database (handlers/web/chat_store.py delivers into them).

A web page cannot be pushed to, so a message for it is stored and the page asks for messages
newer than the last it has (polling). `chat_id` is a hash of the browser's token, never the token.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from bot.accounts.models import WebChatMessage
from bot.db.engine import Database
from bot.db.models import Chat, DecisionLog, Feedback, utcnow
from bot.text_input import parse_id
from bot.tickets.models import Ticket

CHANNEL = "web"
PAGE = 200  # messages per poll at most


def message_json(row: WebChatMessage) -> dict:
    return {"id": row.id, "role": row.role, "at": row.created_at.isoformat(timespec="seconds"), **row.payload}


class WebChatStore:
    """The messages of each web chat, oldest first."""

    def __init__(self, database: Database):
        self.database = database

    async def add(self, chat_id: str, role: str, payload: dict) -> int:
        async with self.database.transaction() as session:
            row = WebChatMessage(chat_id=chat_id, role=role, payload=payload, created_at=utcnow())
            session.add(row)
            await session.flush()
            return row.id

    async def add_delivered(self, chat_id: str, payload: dict, outbox_id: int) -> int | None:
        """Store an outbox message once, however often it is delivered; returns the row id."""
        insert = (postgresql.insert if self.database.dialect == "postgresql" else sqlite.insert)(WebChatMessage)
        statement = insert.values(
            chat_id=chat_id, role="team", payload=payload, outbox_id=outbox_id, created_at=utcnow()
        ).on_conflict_do_nothing(index_elements=["outbox_id"])
        async with self.database.transaction() as session:
            await session.execute(statement)
            return (
                await session.execute(select(WebChatMessage.id).where(WebChatMessage.outbox_id == outbox_id))
            ).scalar_one_or_none()

    async def since(self, chat_id: str, after: int = 0) -> list[dict]:
        async with self.database.read() as session:
            rows = (
                await session.execute(
                    select(WebChatMessage)
                    .where(WebChatMessage.chat_id == chat_id, WebChatMessage.id > after)
                    .order_by(WebChatMessage.id)
                    .limit(PAGE)
                )
            ).scalars()
            return [message_json(row) for row in rows]

    async def tickets_since(self, since: datetime) -> int:
        """Tickets opened from web chats since then (the global hand-over budget, across processes)."""
        async with self.database.read() as session:
            return (
                await session.execute(
                    select(func.count())
                    .select_from(Ticket)
                    .where(Ticket.channel == CHANNEL, Ticket.created_at >= since)
                )
            ).scalar_one()

    async def voted(self, chat_id: str, payload: str) -> bool:
        """Whether the chat has rated this answer already ("fb:u:<topic>:<decision>"): one vote per answer."""
        _, _, ref = payload.partition(":")[2].partition(":")
        faq_id, _, decision = ref.partition(":")
        decision_id = parse_id(decision)
        async with self.database.read() as session:
            query = (
                select(Feedback.id)
                .join(Chat, Chat.id == Feedback.chat_id)
                .where(Chat.channel == CHANNEL, Chat.external_id == chat_id, Feedback.faq_id == faq_id)
            )
            if decision_id is not None:
                query = query.join(DecisionLog, DecisionLog.id == Feedback.decision_id).where(
                    DecisionLog.id == decision_id
                )
            return (await session.execute(query.limit(1))).first() is not None

    async def delete_chat(self, chat_id: str) -> None:
        async with self.database.transaction() as session:
            await session.execute(delete(WebChatMessage).where(WebChatMessage.chat_id == chat_id))

    async def prune(self, older_than: timedelta, now: datetime | None = None) -> int:
        """Forget transcripts' messages older than the retention (config web.chat_retention_days)."""
        cutoff = (now or utcnow()) - older_than
        async with self.database.transaction() as session:
            deleted = await session.execute(delete(WebChatMessage).where(WebChatMessage.created_at < cutoff))
            return cast(CursorResult[Any], deleted).rowcount
