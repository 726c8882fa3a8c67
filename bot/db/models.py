"""The product's tables. One metadata for every feature: the ticket queue adds its tables here.

Portable on purpose: the same models run on SQLite (the default file) and PostgreSQL.
Timestamps are stored in UTC and always come back timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, orm_insert_sentinel

# Stable constraint names, so that Alembic (and SQLite's batch mode) can find them again.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp; SQLite hands back naive values, so UTC is put back on."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware UTC timestamp")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Chat(Base):
    """One conversation on one channel: a Telegram chat, a WhatsApp number, a web session."""

    __tablename__ = "chats"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    language: Mapped[str | None] = mapped_column(String(8))
    district: Mapped[str | None] = mapped_column(String(32))  # config.yml districts: id; None: not chosen
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class DecisionLog(Base):
    """What the bot decided for one question, and why: the editors' reports are built from this."""

    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_created_at", "created_at"), Index("ix_decisions_route", "route"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(8))
    route: Mapped[str] = mapped_column(String(32))
    faq_id: Mapped[str | None] = mapped_column(String(128))
    confidence: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    # [{"faq_id": ..., "confidence": ...}] offered in a clarification: which topics get confused.
    candidates: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Lets one INSERT of many decisions return their ids in the rows' order on SQLite too, which
    # cannot tie new ROWIDs to the order of the VALUES: without it SQLAlchemy writes the rows one
    # statement each (bot/db/store.py's group commit). Filled only by such INSERTs, never read.
    insert_sentinel: Mapped[int | None] = orm_insert_sentinel("insert_sentinel")


class Feedback(Base):
    """A 👍 or 👎 on an answer; `decision_id` is empty for answers reached by browsing."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"), index=True)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id", ondelete="SET NULL"), index=True)
    faq_id: Mapped[str] = mapped_column(String(128))
    helpful: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ProcessedUpdate(Base):
    """An inbound update already taken on: a redelivered copy (same channel and id) is skipped."""

    __tablename__ = "processed_updates"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class ChatFlood(Base):
    """A chat's recent answered messages, shared by all processes (flood control on PostgreSQL).

    `answered` holds at most `telegram.flood.max_messages` Unix times; `noted`: the chat was told once.
    `chat_id` is a hash of the chat's id (bot/db/turns.flood_key), never the id itself.
    """

    __tablename__ = "chat_floods"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    answered: Mapped[list] = mapped_column(JSON, default=list)
    noted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
