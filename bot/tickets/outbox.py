"""The transactional outbox: messages are written with the change that caused them, then delivered.

`enqueue` adds a row inside the caller's transaction. `OutboxWorker` (an asyncio task started with
the app) claims due rows with a lease, hands them to the sender of their channel, and marks them
sent; failures are retried with exponential backoff, a 429's retry_after is honoured. Rows of one
stream (one chat) go out one at a time and in order. Two processes never send one row twice while
both are alive: a row is claimed by a conditional UPDATE (plus FOR UPDATE SKIP LOCKED on
PostgreSQL); if a process dies mid-send its lease runs out and another process sends the row
(at-least-once: the crash may have come after Telegram took the message). A stop is clean: the
worker takes no more rows, lets the sends under way finish (each bounded by its sender's own
timeout) and records their outcome before it ends (`TicketDesk.stop`).

Nothing here imports a platform SDK: senders (handlers/) implement `Sender`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, Row, Table, Update, bindparam, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Outbox as OutboxSettings
from bot.db.batch import Batched
from bot.db.engine import Database
from bot.db.models import UtcDateTime, utcnow
from bot.messages import Button, Reply
from bot.metrics import DELIVERY_FAILURES
from bot.tickets.models import FAILED, PENDING, SENT, OutboxMessage, Ticket

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


# -- what goes into a row ------------------------------------------------------------------------------------------


def reply_payload(reply: Reply, lang: str, **options) -> dict:
    """A Reply as JSON for the outbox; options: thread ("ticket" or an id), reply_to ("card" or an id)."""
    payload: dict[str, Any] = {"text": reply.text, "lang": lang}
    if reply.title:
        payload["title"] = reply.title
    if reply.footer:
        payload["footer"] = reply.footer
    if reply.buttons:
        payload["buttons"] = [[[b.label, b.payload] for b in row] for row in reply.buttons]
    return payload | {k: v for k, v in options.items() if v is not None}


def payload_reply(payload: Mapping) -> Reply:
    buttons = tuple(tuple(Button(label, data) for label, data in row) for row in payload.get("buttons", ()))
    return Reply(
        payload.get("text", ""),
        title=payload.get("title", ""),
        footer=payload.get("footer", ""),
        buttons=buttons,
        meta={"lang": payload.get("lang")},
    )


def enqueue(
    session: AsyncSession,
    channel: str,
    chat_id: str | int,
    payload: dict,
    *,
    kind: str = "message",
    ticket_id: int | None = None,
    purpose: str | None = None,
    dedup_key: str | None = None,
    now: datetime | None = None,
) -> OutboxMessage:
    """Add a message to the outbox in the caller's transaction; it is sent after the commit."""
    now = now or utcnow()
    row = OutboxMessage(
        channel=channel,
        chat_id=str(chat_id),
        stream=f"{channel}:{chat_id}",
        kind=kind,
        payload=payload,
        ticket_id=ticket_id,
        purpose=purpose,
        dedup_key=dedup_key,
        status=PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    return row


# -- the sender contract -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxItem:
    """A claimed row, with the ticket's topic and card resolved, as a sender gets it."""

    id: int
    channel: str
    chat_id: str
    kind: str  # message | topic | edit | rename (a topic) | topic_state (close/reopen) | file
    payload: dict
    ticket_id: int | None
    purpose: str | None
    attempts: int
    thread_id: int | None = None  # forum topic to post into
    reply_to: int | None = None  # message to answer (a ticket's card in a group without topics)
    lease: str = ""  # the claim's token: only its holder may mark the row
    card_id: int | None = None  # the ticket's card in this chat (what an "edit" of message_id "card" edits)

    @property
    def reply(self) -> Reply:
        return payload_reply(self.payload)

    @property
    def lang(self) -> str:
        return self.payload.get("lang") or "de"


@dataclass(frozen=True)
class Delivery:
    message_id: str | None = None  # the platform's id of the (last) message sent
    thread_id: int | None = None  # a created forum topic
    # The sender's own records of what it sent (WhatsApp's delivery records), written in the
    # transaction that marks the row sent: one write per delivered row, not two.
    records: Callable[[AsyncSession], Awaitable[None]] | None = None


class RetryLater(Exception):
    """The platform could not take the message now (5xx, network, 429): try again later."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


class Held(RetryLater):
    """No failure: the message waits on purpose (WhatsApp's 24-hour window) until `retry_after`, or
    until the channel makes it due again (the employer wrote)."""


class Undeliverable(Exception):
    """The message can never be delivered as it is (blocked by the user, bad request): give up."""


class Sender(Protocol):
    async def send(self, item: OutboxItem) -> Delivery: ...


# -- the worker ----------------------------------------------------------------------------------------------------

_OUTBOX = cast(Table, OutboxMessage.__table__)
_TICKETS = cast(Table, Ticket.__table__)
_NOW = bindparam("b_now", type_=UtcDateTime())


def _lease_due(batch: int, skip_locked: bool) -> Update:
    """Lease up to `batch` due rows, the oldest unsent one per stream (built once per worker)."""
    row, earlier = _OUTBOX.alias("due"), _OUTBOX.alias("earlier")
    free = (row.c.locked_until.is_(None)) | (row.c.locked_until < _NOW)
    behind = exists().where(earlier.c.stream == row.c.stream, earlier.c.id < row.c.id, earlier.c.status == PENDING)
    due = (
        select(row.c.id)
        .where(
            row.c.status == PENDING,
            row.c.next_attempt_at <= _NOW,
            row.c.channel.in_(bindparam("b_channels", expanding=True)),
            free,
            ~behind,
        )
        .order_by(row.c.id)
        .limit(batch)
    )
    if skip_locked:  # PostgreSQL: rows another process is claiming right now are left to it
        due = due.with_for_update(skip_locked=True, of=row)
    return (
        update(_OUTBOX)
        .where(
            _OUTBOX.c.id.in_(due.scalar_subquery()),
            (_OUTBOX.c.locked_until.is_(None)) | (_OUTBOX.c.locked_until < _NOW),
        )
        .values(
            locked_until=bindparam("b_lease", type_=UtcDateTime()),
            locked_by=bindparam("b_token"),
            attempts=_OUTBOX.c.attempts + 1,
        )
    )


# The rows a claim leased, with the ticket's staff chat, topic and card (what a sender needs).
_CLAIMED = (
    select(
        _OUTBOX.c.id,
        _OUTBOX.c.channel,
        _OUTBOX.c.chat_id,
        _OUTBOX.c.kind,
        _OUTBOX.c.payload,
        _OUTBOX.c.ticket_id,
        _OUTBOX.c.purpose,
        _OUTBOX.c.attempts,
        _TICKETS.c.staff_chat_id,
        _TICKETS.c.staff_thread_id,
        _TICKETS.c.staff_message_id,
    )
    .select_from(_OUTBOX.outerjoin(_TICKETS, _TICKETS.c.id == _OUTBOX.c.ticket_id))
    .where(_OUTBOX.c.locked_by == bindparam("b_token"), _OUTBOX.c.status == PENDING)
    .order_by(_OUTBOX.c.id)
)
# Built once, run with a row's parameters each (one statement for all rows marked together).
_MARK_SENT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("b_id"), _OUTBOX.c.locked_by == bindparam("b_lease"))
    .values(
        status=SENT,
        sent_at=bindparam("b_at", type_=UtcDateTime()),
        external_message_id=bindparam("b_message"),
        locked_until=None,
        last_error=None,
    )
)


@dataclass
class OutboxWorker:
    """Delivers due outbox rows through the senders of their channels; one per process is enough."""

    database: Database
    senders: dict[str, Sender]
    settings: OutboxSettings = field(default_factory=OutboxSettings)
    clock: Clock = utcnow
    name: str = field(default_factory=lambda: f"{os.getpid()}-{uuid.uuid4().hex[:8]}")
    _wake: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _claims: int = field(default=0, init=False)
    _stopping: bool = field(default=False, init=False)
    _marks: Batched[tuple[OutboxItem, Delivery], None] = field(init=False)
    _lease: Update = field(init=False)

    def __post_init__(self) -> None:
        self._marks = Batched(self._mark_sent)
        self._lease = _lease_due(self.settings.batch, skip_locked=self.database.dialect == "postgresql")

    def wake(self) -> None:
        """Look for new rows now (called after a commit that enqueued something)."""
        self._wake.set()

    def start(self) -> asyncio.Task:
        """Run the worker as a task of the running event loop, until `stop()`."""
        self._stopping = False
        return asyncio.create_task(self.run(), name="outbox")

    def stop(self) -> None:
        """Take no more rows: `run()` ends once the sends under way have finished and their outcome is recorded.

        Cancelling the worker instead would cut a send short after the platform may have taken the
        message, leaving its row unmarked: after the lease it would go out a second time.
        """
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Deliver until stopped; database trouble is logged and retried, never ends the loop."""
        while not self._stopping:
            try:
                busy = await self._round()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be briefly unavailable: keep the worker alive
                log.exception("outbox worker %s: a round failed", self.name)
                busy = 0
            if busy or self._stopping:
                continue
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.poll_seconds)
            except TimeoutError:
                pass

    async def _round(self) -> int:
        items = await self.claim()
        if self._stopping and items:  # the stop came while claiming: nothing of these has started
            await self._release(items)
            return 0
        return await self._deliver_all(items)

    async def deliver_due(self) -> int:
        """Claim and send one batch of due rows; returns how many were tried."""
        return await self._deliver_all(await self.claim())

    async def _deliver_all(self, items: list[OutboxItem]) -> int:
        if items:
            await asyncio.gather(*(self._deliver(item) for item in items))
        return len(items)

    async def _release(self, items: list[OutboxItem]) -> None:
        """Give claimed rows back untried: due at once for the next run (of any process), no attempt counted."""
        async with self.database.transaction() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([item.id for item in items]), OutboxMessage.locked_by == items[0].lease)
                .values(locked_until=None, attempts=OutboxMessage.attempts - 1)
            )

    async def claim(self) -> list[OutboxItem]:
        """Lease up to `batch` due rows, at most the oldest unsent one per stream."""
        if not self.senders:
            return []
        now = self.clock()
        self._claims += 1
        token = f"{self.name}:{self._claims}"
        lease = now + timedelta(seconds=self.settings.lease_seconds)
        binds = {"b_now": now, "b_channels": list(self.senders), "b_lease": lease, "b_token": token}
        async with self.database.transaction() as session:
            # A write first: on SQLite it takes the write lock, so the rows read below stay ours.
            await session.execute(self._lease, binds)
            rows = (await session.execute(_CLAIMED, binds)).all()
        return [self._item(row, token) for row in rows]

    @staticmethod
    def _item(row: Row, lease: str) -> OutboxItem:
        """The claimed row as a sender gets it; `lease` is the token the row was claimed with (its locked_by)."""
        staff_chat, thread, card = row.staff_chat_id, row.staff_thread_id, row.staff_message_id
        payload = row.payload
        same_group = staff_chat is not None and str(staff_chat) == row.chat_id
        thread_id = payload.get("thread")
        if thread_id == "ticket":
            thread_id = thread if same_group else None
        reply_to = payload.get("reply_to")
        if reply_to == "card":
            reply_to = card if same_group and thread_id is None else None
        return OutboxItem(
            row.id,
            row.channel,
            row.chat_id,
            row.kind,
            payload,
            row.ticket_id,
            row.purpose,
            row.attempts,
            thread_id,
            reply_to,
            lease=lease,
            card_id=card if same_group else None,
        )

    async def _deliver(self, item: OutboxItem) -> None:
        try:
            delivery = await self.senders[item.channel].send(item)
        except Held as exc:
            await self._retry(item, str(exc), exc.retry_after, held=True)
        except RetryLater as exc:
            DELIVERY_FAILURES.labels(item.channel, "retry").inc()
            await self._retry(item, str(exc), exc.retry_after)
        except Undeliverable as exc:
            DELIVERY_FAILURES.labels(item.channel, "failed").inc()
            await self._give_up(item, str(exc))
        except Exception as exc:  # a sender's bug must not lose the message: retry, then give up
            DELIVERY_FAILURES.labels(item.channel, "retry").inc()
            log.exception("outbox %s: sender %s raised", item.id, item.channel)
            await self._retry(item, f"{type(exc).__name__}: {exc}", None)
        else:
            await self._sent(item, delivery)

    async def _sent(self, item: OutboxItem, delivery: Delivery) -> None:
        await self._marks((item, delivery))

    async def _mark_sent(self, sent: Sequence[tuple[OutboxItem, Delivery]]) -> list[None]:
        """Mark rows sent (those sent at about the same time together, in one transaction), with what
        the sender and the ticket's staff chat need recorded."""
        now = self.clock()
        marks = [
            {"b_id": item.id, "b_lease": item.lease, "b_at": now, "b_message": delivery.message_id}
            for item, delivery in sent
        ]
        async with self.database.transaction() as session:
            done = cast(CursorResult[Any], await session.execute(_MARK_SENT, marks))
            if session.get_bind().dialect.supports_sane_multi_rowcount and done.rowcount != len(marks):
                log.warning("of outbox %s, some were sent after their lease ran out", [item.id for item, _ in sent])
            for item, delivery in sent:
                if delivery.records is not None:
                    await delivery.records(session)
                await self._staff_chat_sent(session, item, delivery)
        return [None] * len(sent)

    @staticmethod
    async def _staff_chat_sent(session: AsyncSession, item: OutboxItem, delivery: Delivery) -> None:
        """A ticket's new forum topic or card in its staff group: remembered on the ticket."""
        if item.ticket_id is None or not (item.kind == "topic" or item.purpose == "card"):
            return
        where = (Ticket.id == item.ticket_id, Ticket.staff_chat_id == int(item.chat_id))
        if item.kind == "topic" and delivery.thread_id is not None:
            await session.execute(update(Ticket).where(*where).values(staff_thread_id=delivery.thread_id))
        elif item.purpose == "card" and delivery.message_id is not None:
            await session.execute(update(Ticket).where(*where).values(staff_message_id=int(delivery.message_id)))

    def backoff(self, attempts: int) -> float:
        return min(self.settings.backoff_seconds * 2 ** max(attempts - 1, 0), self.settings.backoff_max_seconds)

    async def _retry(self, item: OutboxItem, reason: str, retry_after: float | None, held: bool = False) -> None:
        if item.attempts >= self.settings.max_attempts and retry_after is None:
            await self._give_up(item, f"{reason} (after {item.attempts} attempts)")
            return
        wait = retry_after if retry_after is not None else self.backoff(item.attempts)
        log.log(
            logging.INFO if held else logging.WARNING,
            "outbox %s to %s:%s %s (%s); next try in %.1f s",
            item.id,
            item.channel,
            item.chat_id,
            "waits" if held else "failed",
            reason,
            wait,
        )
        async with self.database.transaction() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == item.id, OutboxMessage.locked_by == item.lease)
                .values(
                    next_attempt_at=self.clock() + timedelta(seconds=wait), locked_until=None, last_error=reason[:2000]
                )
            )

    async def _give_up(self, item: OutboxItem, reason: str) -> None:
        log.error("outbox %s to %s:%s cannot be delivered: %s", item.id, item.channel, item.chat_id, reason)
        async with self.database.transaction() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == item.id, OutboxMessage.locked_by == item.lease)
                .values(status=FAILED, locked_until=None, last_error=reason[:2000])
            )


async def pending_count(database: Database) -> int:
    async with database.read() as session:
        return (await session.execute(select(func.count()).where(OutboxMessage.status == PENDING))).scalar_one()


async def backlog_by_channel(database: Database) -> dict[str, int]:
    """Undelivered rows per channel (for /metrics)."""
    async with database.read() as session:
        rows = await session.execute(
            select(OutboxMessage.channel, func.count())
            .where(OutboxMessage.status == PENDING)
            .group_by(OutboxMessage.channel)
        )
        return {channel: count for channel, count in rows.all()}
