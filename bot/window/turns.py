"""An employer's message and Lotse's answer to it, written together: the window reopens, messages held
for the employer become due (they go first: they are older rows of the chat's outbox stream), and
the answer is queued. One transaction, and as few statements as the case needs: a known chat is one
UPDATE, the release and the INSERT of the answer; a new chat is an INSERT (it has nothing held)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, case, func, insert, null, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import UtcDateTime
from bot.tickets.models import PENDING, OutboxMessage
from bot.window.models import CHANNEL, CHATS, rowcount


@dataclass(frozen=True)
class Turn:
    """What the employer wrote (its own timestamp `at`) and what Lotse answers, as rendered replies."""

    chat_id: str
    phone: str | None
    at: datetime
    replies: list[dict] = field(default_factory=list)
    lang: str = "de"
    dedup_key: str | None = None
    notice: dict | None = None  # goes first when this is the chat's first message
    if_nothing_released: dict | None = None  # the answer when no held message became due (the template's button)
    erased: bool = False  # the turn erased the chat (/delete): its window is not written again, only the answer


@dataclass(frozen=True)
class Taken:
    first: bool  # the chat's first message
    released: int  # held messages that became due
    outbox_id: int | None  # the answer's row (None: nothing to say)


OUTBOX = cast(Table, OutboxMessage.__table__)
_AT, _NOW = bindparam("b_at", type_=UtcDateTime()), bindparam("b_now", type_=UtcDateTime())
_NEWER = or_(CHATS.c.last_inbound_at.is_(None), CHATS.c.last_inbound_at < _AT)
# Built once: they run for every message. The later message wins, also when two come at once.
_TOUCH = (
    update(CHATS)
    .where(CHATS.c.chat_id == bindparam("b_chat"))
    .values(
        updated_at=_NOW,
        last_inbound_at=case((_NEWER, _AT), else_=CHATS.c.last_inbound_at),
        template_problem=case((_NEWER, null()), else_=CHATS.c.template_problem),
        phone=func.coalesce(bindparam("b_phone", type_=CHATS.c.phone.type), CHATS.c.phone),
    )
    .returning(CHATS.c.chat_id)
)
_RELEASE = (
    update(OUTBOX)
    .where(
        OUTBOX.c.channel == CHANNEL,
        OUTBOX.c.chat_id == bindparam("b_chat"),
        OUTBOX.c.status == PENDING,
        OUTBOX.c.next_attempt_at > _NOW,
    )
    .values(next_attempt_at=_NOW)
)
_ENQUEUE = insert(OUTBOX).returning(OUTBOX.c.id)
_CREATE = {
    "postgresql": postgresql.insert(CHATS).on_conflict_do_nothing().returning(CHATS.c.chat_id),
    "sqlite": sqlite.insert(CHATS).on_conflict_do_nothing().returning(CHATS.c.chat_id),
}


async def write_turn(session: AsyncSession, dialect: str, turn: Turn, now: datetime) -> Taken:
    """Write `turn` in the caller's transaction (on SQLite the first statement is a write: see Database)."""
    binds = {"b_chat": turn.chat_id, "b_at": turn.at, "b_now": now, "b_phone": turn.phone or None}
    if turn.erased:
        return Taken(False, 0, await _enqueue(session, turn, turn.replies, now))
    first = (await session.execute(_TOUCH, binds)).first() is None  # nearly every message: a known chat
    if first:  # ON CONFLICT: another process may be taking this chat's other message right now
        row = {"chat_id": turn.chat_id, "phone": turn.phone or None, "last_inbound_at": turn.at}
        created = (await session.execute(_CREATE[dialect], row | {"created_at": now, "updated_at": now})).first()
        if created is None:
            first = False
            await session.execute(_TOUCH, binds)
    # A chat created just now has nothing held: its rows would have been erased with it (/delete).
    released = 0 if first else rowcount(await session.execute(_RELEASE, binds))
    replies = ([turn.notice] if first and turn.notice else []) + turn.replies
    if not released and turn.if_nothing_released:
        replies.append(turn.if_nothing_released)
    return Taken(first, released, await _enqueue(session, turn, replies, now))


async def _enqueue(session: AsyncSession, turn: Turn, replies: list[dict], now: datetime) -> int | None:
    """One bot turn as one outbox row: the sender makes it as few WhatsApp messages as it can."""
    if not replies:
        return None
    row = {
        "channel": CHANNEL,
        "chat_id": turn.chat_id,
        "stream": f"{CHANNEL}:{turn.chat_id}",
        "kind": "message",
        "payload": {"turn": replies, "lang": turn.lang, "inbound_at": turn.at.isoformat()},
        "ticket_id": None,
        "purpose": "turn",
        "dedup_key": turn.dedup_key,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "locked_until": None,
        "locked_by": None,
        "created_at": now,
        "sent_at": None,
        "external_message_id": None,
        "last_error": None,
    }
    return (await session.execute(_ENQUEUE, row)).scalar_one()
