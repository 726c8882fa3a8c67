"""An employer's message and Lotse's answer to it, written together: the window reopens, messages held
for the employer become due (they go first: they are older rows of the chat's outbox stream), and
the answer is queued. The turns of chats taken at about the same time share one transaction and
its statements, whatever their number: an INSERT of the chats that are new, an UPDATE of the known
ones (the later message wins, also when two come at once), an UPDATE releasing their held rows, and
an INSERT of the answers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, case, func, insert, null, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import UtcDateTime
from bot.tickets.models import PENDING, OutboxMessage
from bot.window.models import CHANNEL, CHATS


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
# Built once: they run for every message.
_TOUCH = (
    update(CHATS)
    .where(CHATS.c.chat_id == bindparam("b_chat"))
    .values(
        updated_at=_NOW,
        last_inbound_at=case((_NEWER, _AT), else_=CHATS.c.last_inbound_at),
        template_problem=case((_NEWER, null()), else_=CHATS.c.template_problem),
        phone=func.coalesce(bindparam("b_phone", type_=CHATS.c.phone.type), CHATS.c.phone),
    )
)
_RELEASE = (
    update(OUTBOX)
    .where(
        OUTBOX.c.channel == CHANNEL,
        OUTBOX.c.chat_id.in_(bindparam("b_chats", expanding=True)),
        OUTBOX.c.status == PENDING,
        OUTBOX.c.next_attempt_at > _NOW,
    )
    .values(next_attempt_at=_NOW)
    .returning(OUTBOX.c.chat_id)
)
_ENQUEUE = insert(OUTBOX).returning(OUTBOX.c.id, sort_by_parameter_order=True)


def _create(dialect: str, chats: list[dict]):
    """The INSERT of chats that may be new, RETURNING the ids of those it created."""
    if dialect == "postgresql":
        return postgresql.insert(CHATS).values(chats).on_conflict_do_nothing().returning(CHATS.c.chat_id)
    return sqlite.insert(CHATS).values(chats).on_conflict_do_nothing().returning(CHATS.c.chat_id)


async def write_turns(session: AsyncSession, dialect: str, turns: Sequence[Turn], now: datetime) -> list[Taken]:
    """Write `turns` (of different chats) in the caller's transaction; on SQLite the first statement is a
    write (see Database)."""
    first, released = await _windows(session, dialect, [turn for turn in turns if not turn.erased], now)
    answers = [_answer(turn, turn.chat_id in first, released[turn.chat_id]) for turn in turns]
    rows = [_row(turn, replies, now) for turn, replies in zip(turns, answers, strict=True) if replies]
    ids = iter((await session.execute(_ENQUEUE, rows)).scalars().all() if rows else ())
    return [
        Taken(turn.chat_id in first, released[turn.chat_id], next(ids) if replies else None)
        for turn, replies in zip(turns, answers, strict=True)
    ]


async def _windows(
    session: AsyncSession, dialect: str, turns: list[Turn], now: datetime
) -> tuple[set[str], Counter[str]]:
    """Reopen the chats' windows; returns the chats new now and how many held rows each chat had released."""
    if not turns:
        return set(), Counter()
    new = [
        {"chat_id": t.chat_id, "phone": t.phone or None, "last_inbound_at": t.at, "created_at": now, "updated_at": now}
        for t in turns
    ]
    # ON CONFLICT: the chat is known, or another process is taking its other message right now (PostgreSQL
    # waits for that one's transaction): either way it is touched below, and the later message wins.
    first = set((await session.execute(_create(dialect, new))).scalars())
    # A chat created just now has nothing held: its rows would have been erased with it (/delete).
    known = [turn for turn in turns if turn.chat_id not in first]
    if not known:
        return first, Counter()
    touches = [{"b_chat": t.chat_id, "b_at": t.at, "b_now": now, "b_phone": t.phone or None} for t in known]
    await session.execute(_TOUCH, touches)
    release = {"b_chats": [turn.chat_id for turn in known], "b_now": now}
    return first, Counter((await session.execute(_RELEASE, release)).scalars())


def _answer(turn: Turn, first: bool, released: int) -> list[dict]:
    replies = ([turn.notice] if first and turn.notice else []) + turn.replies
    if not released and turn.if_nothing_released:
        replies.append(turn.if_nothing_released)
    return replies


def _row(turn: Turn, replies: list[dict], now: datetime) -> dict:
    """One bot turn as one outbox row: the sender makes it as few WhatsApp messages as it can."""
    return {
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
