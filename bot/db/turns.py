"""The statements behind per-chat order and shared flood control (bot/chat_order.py) on PostgreSQL.

All of them run in a session from `Database.transaction()`: the chat's advisory lock lives as long
as that transaction, and so does the update's claim in the inbox (a crash rolls both back).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ChatFlood, ProcessedUpdate, utcnow


def chat_lock_key(channel: str, chat_id: str) -> int:
    """A stable signed 64-bit key for PostgreSQL's advisory locks (the same in every process)."""
    digest = hashlib.blake2b(f"{channel}:{chat_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def lock_chat(session: AsyncSession, channel: str, chat_id: str) -> None:
    """Wait for the chat's turn; the lock is released when the session's transaction ends (also on a crash)."""
    await session.execute(select(func.pg_advisory_xact_lock(chat_lock_key(channel, chat_id))))


async def claim_update(session: AsyncSession, channel: str, external_id: str) -> bool:
    """Record an inbound update in this transaction; False if it was recorded (processed) before."""
    statement = (postgresql.insert(ProcessedUpdate)
                 .values(channel=channel, external_id=external_id, processed_at=utcnow())
                 .on_conflict_do_nothing().returning(ProcessedUpdate.external_id))
    return (await session.execute(statement)).first() is not None


async def flood_state(session: AsyncSession, channel: str, chat_id: str) -> tuple[list[float], bool]:
    """The chat's answered times and whether it was told, its row locked until the transaction ends."""
    row = (await session.execute(select(ChatFlood.answered, ChatFlood.noted)
                                 .where(ChatFlood.channel == channel, ChatFlood.chat_id == chat_id)
                                 .with_for_update())).first()
    return (list(row.answered), row.noted) if row else ([], False)


async def save_flood_state(session: AsyncSession, channel: str, chat_id: str, answered: list[float],
                           noted: bool) -> None:
    now = utcnow()
    statement = postgresql.insert(ChatFlood).values(channel=channel, chat_id=chat_id, answered=answered,
                                                    noted=noted, updated_at=now)
    await session.execute(statement.on_conflict_do_update(
        index_elements=["channel", "chat_id"], set_={"answered": answered, "noted": noted, "updated_at": now}))
