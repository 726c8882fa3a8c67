"""What the console shows of a WhatsApp ticket: the window, each message's delivery, the waiting
state ("Arbeitgeber muss erneut schreiben" with the contact the employer gave), and the retry
that really sends again (a new wamid; nothing may look sent that was not)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update

from bot.tickets.models import FAILED, PENDING, SENT, OutboxMessage, Ticket
from bot.window.models import RANKS, WhatsAppDelivery, rowcount
from bot.window.service import (
    CHANNEL,
    Action,
    Hold,
    Window,
    WindowService,
    decide,
    open_until,
)

WAITING_PREFIX = "waiting for the employer"  # the sender's reason for a held row (sender.py)


@dataclass(frozen=True)
class DeliveryState:
    label: str  # pending | waiting | accepted | sent | delivered | read | failed
    detail: str = ""  # the failure's reason, or why it waits
    can_retry: bool = False


@dataclass(frozen=True)
class TicketWindow:
    open_until: datetime | None  # None: closed
    consent: bool | None
    template_sent_at: datetime | None
    waiting: bool  # an answer waits in the outbox for the employer
    must_write_again: bool  # ... and no template will fetch it: "Arbeitgeber muss erneut schreiben"
    contact: str | None  # phone or e-mail the employer gave; None: only via the chat
    deliveries: dict[int, DeliveryState] = field(default_factory=dict)  # by outbox row
    messages: dict[int, int] = field(default_factory=dict)  # ticket message id -> outbox row


def _state(row: OutboxMessage, parts: list[WhatsAppDelivery], now: datetime) -> DeliveryState:
    if row.status == FAILED:
        return DeliveryState("failed", row.last_error or "", can_retry=True)
    if row.status == PENDING:
        waiting = (row.last_error or "").startswith(WAITING_PREFIX) and row.next_attempt_at > now
        return DeliveryState("waiting" if waiting else "pending", row.last_error or "")
    sent = [p for p in parts if p.kind != "template"]
    failed = next((p for p in sent if p.status == "failed"), None)
    if failed is not None:
        return DeliveryState("failed", f"{failed.error_code} {failed.error_title or ''}".strip(), can_retry=True)
    rank = min((p.rank for p in sent), default=RANKS["accepted"])
    return DeliveryState(next(name for name, value in RANKS.items() if value == rank))


async def ticket_window(window: WindowService, ticket: Ticket) -> TicketWindow | None:
    """The console's view of a ticket's WhatsApp side; None for tickets from other channels."""
    if ticket.channel != CHANNEL or not ticket.chat_external_id:
        return None
    now = window.clock()
    chat = await window.window(ticket.chat_external_id) or Window(ticket.chat_external_id)
    async with window.database.read() as session:
        rows = list(
            (
                await session.execute(
                    select(OutboxMessage)
                    .where(OutboxMessage.ticket_id == ticket.id, OutboxMessage.channel == CHANNEL)
                    .order_by(OutboxMessage.id)
                )
            ).scalars()
        )
        parts = (
            list(
                (
                    await session.execute(
                        select(WhatsAppDelivery).where(WhatsAppDelivery.outbox_id.in_([r.id for r in rows]))
                    )
                ).scalars()
            )
            if rows
            else []
        )
    deliveries = {r.id: _state(r, [p for p in parts if p.outbox_id == r.id], now) for r in rows}
    messages = {
        int(r.dedup_key.split(":")[1]): r.id
        for r in rows
        if r.dedup_key and r.dedup_key.startswith("answer:") and r.dedup_key.split(":")[1].isdigit()
    }
    waiting = any(state.label == "waiting" for state in deliveries.values())
    action, reason = decide("answer", chat, now, window.settings)
    until = open_until(chat, window.settings)
    return TicketWindow(
        open_until=until if until and until > now else None,
        consent=chat.notify_consent,
        template_sent_at=chat.template_sent_at,
        waiting=waiting,
        must_write_again=waiting and action is Action.HOLD and reason != Hold.TEMPLATE_SENT,
        contact=ticket.contact_value if ticket.contact_method in ("phone", "email") else None,
        deliveries=deliveries,
        messages=messages,
    )


async def retry(window: WindowService, ticket_id: int, outbox_id: int) -> bool:
    """Send a failed message of the ticket again, for real: the sender makes a new WhatsApp message."""
    async with window.database.transaction() as session:
        done = await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == outbox_id,
                OutboxMessage.ticket_id == ticket_id,
                OutboxMessage.channel == CHANNEL,
                OutboxMessage.status.in_((FAILED, SENT)),
            )
            .values(
                status=PENDING,
                attempts=0,
                next_attempt_at=window.clock(),
                locked_until=None,
                locked_by=None,
                last_error="retried from the console",
            )
        )
    if rowcount(done) == 1:
        window.on_release()
    return rowcount(done) == 1


async def waiting_tickets(window: WindowService, ticket_ids: list[int]) -> set[int]:
    """Which of these WhatsApp tickets have an answer waiting for the employer (a badge in the queue)."""
    if not ticket_ids:
        return set()
    async with window.database.read() as session:
        rows = await session.execute(
            select(OutboxMessage.ticket_id).where(
                OutboxMessage.ticket_id.in_(ticket_ids),
                OutboxMessage.channel == CHANNEL,
                OutboxMessage.status == PENDING,
                OutboxMessage.last_error.startswith(WAITING_PREFIX),
                OutboxMessage.next_attempt_at > window.clock(),
            )
        )
        return {ticket_id for (ticket_id,) in rows if ticket_id is not None}
