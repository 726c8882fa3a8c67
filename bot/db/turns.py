"""The statements behind per-chat order and shared flood control (bot/chat_order.py) on PostgreSQL.

All of them run in a session from `Database.transaction()`: the chat's advisory lock lives as long
as that transaction, and so does the update's claim in the inbox (a crash rolls both back).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ChatFlood, utcnow

# Built once, run with parameters (as in bot/db/store.py): building a statement per update cost
# more CPU than running it. Taking the lock and recording the update are one round trip; the
# insert runs once the lock is held (it reads the unique index as committed, not a snapshot).
_TURN = text(
    "WITH turn AS (SELECT pg_advisory_xact_lock(:key)) "
    "INSERT INTO processed_updates (channel, external_id, processed_at) "
    "SELECT :channel, :external_id, :now FROM turn ON CONFLICT DO NOTHING RETURNING external_id"
)
# A statement of its own, after the lock: its snapshot then sees what the chat's previous turn committed.
_FLOOD_STATE = (
    select(ChatFlood.answered, ChatFlood.noted)
    .where(ChatFlood.channel == bindparam("channel"), ChatFlood.chat_id == bindparam("chat_id"))
    .with_for_update()
)
_insert_flood = postgresql.insert(ChatFlood)
_SAVE_FLOOD = _insert_flood.on_conflict_do_update(
    index_elements=["channel", "chat_id"],
    set_={
        "answered": _insert_flood.excluded.answered,
        "noted": _insert_flood.excluded.noted,
        "updated_at": _insert_flood.excluded.updated_at,
    },
)


def chat_lock_key(channel: str, chat_id: str) -> int:
    """A stable signed 64-bit key for PostgreSQL's advisory locks (the same in every process)."""
    digest = hashlib.blake2b(f"{channel}:{chat_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def flood_key(channel: str, chat_id: str) -> str:
    """What chat_floods stores instead of the chat id: a hash, so that the row names no chat.

    /delete cannot remove the row (the turn that processes /delete holds it locked until its
    transaction ends), and the retention purge removes it within a day or so; a hash keeps that
    row from outliving /delete with the employer's chat id in it.
    """
    return hashlib.blake2b(f"{channel}:{chat_id}".encode(), digest_size=16).hexdigest()


async def take_turn(session: AsyncSession, channel: str, chat_id: str, external_id: str) -> bool:
    """Wait for the chat's advisory lock, then record the update in the inbox, in this transaction.

    The lock is released when the transaction ends (also when the process dies). Returns False
    if the update was recorded before: a redelivery of an update already processed.
    """
    result = await session.execute(
        _TURN, {"key": chat_lock_key(channel, chat_id), "channel": channel, "external_id": external_id, "now": utcnow()}
    )
    return result.first() is not None


async def flood_state(session: AsyncSession, channel: str, chat_id: str) -> tuple[list[float], bool]:
    """The chat's answered times and whether it was told, its row locked until the transaction ends."""
    row = (await session.execute(_FLOOD_STATE, {"channel": channel, "chat_id": flood_key(channel, chat_id)})).first()
    return (list(row.answered), row.noted) if row else ([], False)


async def save_flood_state(
    session: AsyncSession, channel: str, chat_id: str, answered: list[float], noted: bool
) -> None:
    await session.execute(
        _SAVE_FLOOD,
        {
            "channel": channel,
            "chat_id": flood_key(channel, chat_id),
            "answered": answered,
            "noted": noted,
            "updated_at": utcnow(),
        },
    )
