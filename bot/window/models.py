"""The WhatsApp channel's tables, on the product's one metadata (bot.db.models.Base).

Migration: migrations/versions/0004_whatsapp.py. A chat's rows go when the employer uses /delete
(bot/window/service.py `erase`, called inside TicketService.delete_chat's transaction).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, Boolean, CursorResult, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, UtcDateTime, utcnow

CHANNEL = "whatsapp"  # the outbox's and the chats' channel name

# Delivery states of a sent message, in the order WhatsApp reports them; a later report of an
# earlier state (they may arrive out of order) never moves a message back.
RANKS = {"accepted": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}


class WhatsAppChat(Base):
    """One employer on WhatsApp: the window, the consent to be notified, the last numbered choice."""

    __tablename__ = "whatsapp_chats"

    chat_id: Mapped[str] = mapped_column(String(128), primary_key=True)  # business-scoped user id (or wa_id)
    phone: Mapped[str | None] = mapped_column(String(32))  # wa_id; may be withheld by WhatsApp
    last_inbound_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # the message's own timestamp
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # WhatsApp said 131047 after that
    notify_consent: Mapped[bool | None] = mapped_column(Boolean)  # None: never asked
    consent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    consent_version: Mapped[str | None] = mapped_column(String(16))
    template_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    template_problem: Mapped[str | None] = mapped_column(String(200))  # e.g. "132015 paused": answers wait
    choices: Mapped[list | None] = mapped_column(JSON)  # payloads of "reply with 1-n"
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class WhatsAppDelivery(Base):
    """One message WhatsApp accepted (its wamid), and what its status webhooks said since."""

    __tablename__ = "whatsapp_deliveries"

    wamid: Mapped[str] = mapped_column(String(128), primary_key=True)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"), index=True)
    chat_id: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # text | interactive | template | document | image | unknown
    status: Mapped[str] = mapped_column(String(16))  # RANKS
    rank: Mapped[int] = mapped_column(Integer)
    error_code: Mapped[int | None] = mapped_column(Integer)
    error_title: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class WhatsAppConversion(Base):
    """An outbox row whose free-form send failed with 131047 and went the template way: once only."""

    __tablename__ = "whatsapp_conversions"

    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True)
    converted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


# The tables, typed for Core statements (a declarative class's __table__ is typed as a FromClause).
CHATS = cast(Table, WhatsAppChat.__table__)
DELIVERIES = cast(Table, WhatsAppDelivery.__table__)


def rowcount(result: Any) -> int:
    """How many rows an UPDATE or DELETE changed (its result is a CursorResult)."""
    return cast(CursorResult, result).rowcount
