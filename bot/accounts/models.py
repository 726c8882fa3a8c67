"""The web's tables, on the product's one metadata (bot.db.models.Base). Migration: 0003_web.py."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, UtcDateTime, utcnow


class WebUser(Base):
    """A person who logs into the web console: a coordinator of one or more teams, maybe an editor."""

    __tablename__ = "web_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(255))
    teams: Mapped[list] = mapped_column(JSON, default=list)  # keys of config.yml tickets.teams
    editor: Mapped[bool] = mapped_column(Boolean, default=False)  # sees the FAQ suggestions and exports them
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Bumped by passwd and disable: every session issued before ends at its next request.
    session_epoch: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class WebSession(Base):
    """A console session that may still act: log-out, a new password or disabling deletes it (migration 0005).

    The cookie carries a random id; only its SHA-256 is stored, so a copy of this table opens no session.
    """

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class FaqSuggestion(Base):
    """A coordinator's answer proposed for the FAQ: the editors review it and copy the YAML."""

    __tablename__ = "faq_suggestions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    lang: Mapped[str] = mapped_column(String(8))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    topic_id: Mapped[str | None] = mapped_column(String(128))  # an existing topic to add to ...
    new_topic_id: Mapped[str | None] = mapped_column(String(128))  # ... or the id of a new one
    status: Mapped[str] = mapped_column(String(16), default="new")  # new | done | dismissed
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class WebChatMessage(Base):
    """One message of an employer's web chat, kept for the page to show and poll.

    `chat_id` is a hash of the browser's token, never the token itself. Rows delivered by the
    outbox carry its id, so a message sent twice (a lease ran out) is stored once.
    """

    __tablename__ = "web_chat_messages"
    __table_args__ = (Index("ix_web_chat_messages_chat", "chat_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))  # employer | bot | team
    payload: Mapped[dict] = mapped_column(JSON)
    outbox_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
