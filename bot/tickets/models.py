"""The ticket queue's tables, on the product's one metadata (bot.db.models.Base).

Portable like the rest: the same models on SQLite and PostgreSQL, timestamps in UTC.
Migrations: migrations/versions/0002_tickets.py; team_files: 0008_team_files.py.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, UtcDateTime, utcnow

# Ticket states (design.md "Hand-over and tickets"); reopened tickets go back to open or claimed.
OPEN, CLAIMED, ANSWERED, CLOSED = "open", "claimed", "answered", "closed"
ACTIVE = (OPEN, CLAIMED, ANSWERED)

# Outbox states.
PENDING, SENT, FAILED = "pending", "sent", "failed"


class Ticket(Base):
    """One question handed to a team, from the employer's consent until it is closed."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status_team", "status", "team"),
        Index("ix_tickets_chat", "channel", "chat_external_id"),
        Index("ix_tickets_staff_thread", "staff_chat_id", "staff_thread_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=OPEN)
    version: Mapped[int] = mapped_column(Integer, default=1)  # every change bumps it: optimistic concurrency
    # The employer's chat. Cleared when the employer deletes their data and tickets are kept anonymised.
    channel: Mapped[str | None] = mapped_column(String(32))
    chat_external_id: Mapped[str | None] = mapped_column(String(128))
    lang: Mapped[str] = mapped_column(String(8))
    question: Mapped[str] = mapped_column(Text)
    # What the bot made of the question: route, faq_id, confidence, reason, candidates.
    classification: Mapped[dict] = mapped_column(JSON, default=dict)
    history: Mapped[list] = mapped_column(JSON, default=list)  # the chat's recent questions before the ticket
    company: Mapped[str] = mapped_column(String(200))
    contact_method: Mapped[str] = mapped_column(String(16))  # chat | phone | email
    contact_value: Mapped[str | None] = mapped_column(String(200))
    claimed_by: Mapped[str | None] = mapped_column(String(64))  # staff user id
    claimed_by_name: Mapped[str | None] = mapped_column(String(128))
    # Where the ticket lives in its team's Telegram group: a forum topic, or a card message.
    staff_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    staff_thread_id: Mapped[int | None] = mapped_column(BigInteger)
    staff_message_id: Mapped[int | None] = mapped_column(BigInteger)
    close_reason: Mapped[str | None] = mapped_column(String(32))  # solved | staff | timeout | deleted
    # The update that opened it: a redelivered update cannot open a second ticket.
    source_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    announced_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # last (re-)announcement to the team
    employer_waiting_note_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class TicketMessage(Base):
    """The conversation on a ticket: the employer's question and replies, the team's answers, notes."""

    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(16))  # employer | staff | note
    author_id: Mapped[str | None] = mapped_column(String(64))
    author_name: Mapped[str | None] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    source_key: Mapped[str | None] = mapped_column(String(200), unique=True)  # a redelivered update: one message
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class TicketEvent(Base):
    """The audit trail: who did what to a ticket, and when."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    actor: Mapped[str] = mapped_column(String(128))  # employer | staff:<user id> | system
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class OutboxMessage(Base):
    """A message to send, written in the same transaction as the change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_stream", "stream", "id"),
        Index("ix_outbox_sent_message", "chat_id", "external_message_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))  # which sender delivers it: telegram, terminal, ...
    chat_id: Mapped[str] = mapped_column(String(128))
    # Messages of one stream (one chat) go out one after the other, in order.
    stream: Mapped[str] = mapped_column(String(200))
    # message | topic | edit | rename | topic_state | file (bot/tickets/outbox.py, OutboxItem.kind)
    kind: Mapped[str] = mapped_column(String(16), default="message")
    payload: Mapped[dict] = mapped_column(JSON)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    purpose: Mapped[str | None] = mapped_column(String(32))  # card | answer | handover_prompt | ...
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    locked_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    external_message_id: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)


class ConversationState(Base):
    """Where a chat is in a multi-step flow (the hand-over questions), so a restart loses nothing."""

    __tablename__ = "conversation_states"
    __table_args__ = (UniqueConstraint("channel", "chat_external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    chat_external_id: Mapped[str] = mapped_column(String(128))
    flow: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class TeamFile(Base):
    """A file a team sent to the employer of a ticket (bot/tickets/files.py): kept for the web chat's
    download link and the outbox's retries; erased by /delete and after the retention."""

    __tablename__ = "team_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    mime: Mapped[str] = mapped_column(String(64))  # from the content (magic bytes), not from the sender
    size: Mapped[int] = mapped_column(Integer)
    as_photo: Mapped[bool] = mapped_column(Boolean, default=False)  # sent on Telegram as a photo, else a document
    data: Mapped[bytes] = mapped_column(LargeBinary)
    author_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
