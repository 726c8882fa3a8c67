"""/delete: erase everything a chat gave us, in one transaction (design.md, Privacy).

What goes: the chat's flow state, questions (decisions), feedback and web transcript; every
outbox row to the chat, sent or not; the tickets' texts wherever they were copied: messages and
notes, the staff cards and relays in the outbox, the audit trail's notes and the employer's chat
id in its actor labels, FAQ suggestions made from the tickets, files the teams sent (team_files).
The staff groups are told, the card is blanked and a forum topic is renamed to "#N" and closed
(through the outbox, like every staff message).

What stays, if config says `tickets.on_delete: anonymise`: each ticket's number, team, status
and times, and an audit trail without texts – the figures the statistics need. With `delete`,
nothing of the tickets stays.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts.models import FaqSuggestion, WebChatMessage
from bot.config import Config
from bot.db.engine import Database
from bot.db.models import Chat, DecisionLog, Feedback
from bot.messages import Reply
from bot.texts import t
from bot.tickets.models import (
    CLOSED,
    PENDING,
    ConversationState,
    OutboxMessage,
    TeamFile,
    Ticket,
    TicketEvent,
    TicketMessage,
)
from bot.tickets.outbox import enqueue, reply_payload

DELETED = "(deleted)"
Eraser = Callable[[AsyncSession, str, str], Awaitable[None]]  # (session, channel, chat id)
WEB_CHANNEL = "web"
# Audit details that are no text from the employer or about them: kept on an anonymised ticket.
KEPT_DETAIL = frozenset({"team", "from_team", "to_team", "reason", "message_id"})


async def erase_chat(
    database: Database,
    config: Config,
    channel: str,
    chat_id: str,
    clock: Callable[[], datetime],
    also: Sequence[Eraser] = (),
) -> int:
    """Erase a chat's data (module docstring) in one transaction.

    Args:
        also: channels' own records of the chat (WhatsApp's window and deliveries), erased in the same transaction.

    Returns:
        How many tickets were deleted or anonymised.
    """
    async with database.transaction() as session:
        # A write first (SQLite's write lock), then the rest.
        await session.execute(
            delete(ConversationState).where(
                ConversationState.channel == channel, ConversationState.chat_external_id == chat_id
            )
        )
        tickets = list(
            (
                await session.execute(
                    select(Ticket)
                    .where(Ticket.channel == channel, Ticket.chat_external_id == chat_id)
                    .with_for_update()
                )
            ).scalars()
        )
        ids = [ticket.id for ticket in tickets]
        await _erase_outbox(session, channel, chat_id, ids)
        for ticket in tickets:
            _tell_staff(session, config, ticket, clock())
        if ids:
            await session.execute(delete(FaqSuggestion).where(FaqSuggestion.ticket_id.in_(ids)))
            await session.execute(delete(TeamFile).where(TeamFile.ticket_id.in_(ids)))
            if config.tickets.on_delete == "delete":
                await session.execute(delete(TicketEvent).where(TicketEvent.ticket_id.in_(ids)))
                await session.execute(delete(TicketMessage).where(TicketMessage.ticket_id.in_(ids)))
                await session.execute(delete(Ticket).where(Ticket.id.in_(ids)))
            else:
                await _anonymise(session, tickets, clock())
        for erase in also:
            await erase(session, channel, chat_id)
        await _erase_chat_rows(session, channel, chat_id)
    return len(ids)


async def _erase_outbox(session: AsyncSession, channel: str, chat_id: str, ids: list[int]) -> None:
    """Every message to the chat goes; the tickets' staff messages lose their text (unsent ones go)."""
    await session.execute(
        delete(OutboxMessage).where(OutboxMessage.channel == channel, OutboxMessage.chat_id == chat_id)
    )
    if not ids:
        return
    ours = OutboxMessage.ticket_id.in_(ids)
    await session.execute(delete(OutboxMessage).where(ours, OutboxMessage.status == PENDING))
    # Sent rows stay (without text) so that a staff reply to one is still recognised as about a deleted ticket.
    await session.execute(
        update(OutboxMessage)
        .where(ours)
        .values(payload={"text": DELETED}, last_error=None, ticket_id=None)
        .execution_options(synchronize_session=False)
    )


def _tell_staff(session: AsyncSession, config: Config, ticket: Ticket, now: datetime) -> None:
    """Tell the team, blank the card and rename the topic, so the question leaves the staff group too."""
    if ticket.staff_chat_id is None:
        return
    lang = config.tickets.teams[ticket.team].lang
    text = t("st_deleted", lang, number=str(ticket.id))
    group = ticket.staff_chat_id
    # Not tied to the ticket row (it may be deleted): thread and card are resolved now.
    thread = ticket.staff_thread_id
    options = {"thread": thread, "reply_to": None if thread else ticket.staff_message_id}
    enqueue(session, "telegram", group, reply_payload(Reply(text), lang, **options), purpose="deleted", now=now)
    if ticket.staff_message_id is not None:
        enqueue(
            session,
            "telegram",
            group,
            reply_payload(Reply(text), lang, message_id=ticket.staff_message_id),
            kind="edit",
            purpose="deleted",
            now=now,
        )
    if ticket.staff_thread_id is not None:
        enqueue(
            session,
            "telegram",
            group,
            {"name": f"#{ticket.id}", "thread": ticket.staff_thread_id},
            kind="rename",
            purpose="deleted",
            now=now,
        )
        enqueue(
            session,
            "telegram",
            group,
            {"open": False, "thread": ticket.staff_thread_id},
            kind="topic_state",
            purpose="deleted",
            now=now,
        )


async def _anonymise(session: AsyncSession, tickets: list[Ticket], now: datetime) -> None:
    ids = [ticket.id for ticket in tickets]
    await session.execute(
        update(TicketMessage)
        .where(TicketMessage.ticket_id.in_(ids))
        .values(text=DELETED, author_id=None, author_name=None, source_key=None)
    )
    events = (await session.execute(select(TicketEvent).where(TicketEvent.ticket_id.in_(ids)))).scalars()
    for event in events:
        if event.actor.startswith("employer"):
            event.actor = "employer"  # the label carried the chat's id
        event.detail = {key: value for key, value in (event.detail or {}).items() if key in KEPT_DETAIL}
    for ticket in tickets:
        before = ticket.status
        ticket.channel = ticket.chat_external_id = ticket.contact_value = ticket.source_key = None
        ticket.question, ticket.company, ticket.history, ticket.classification = DELETED, DELETED, [], {}
        if ticket.status != CLOSED:
            ticket.closed_at, ticket.close_reason = now, "deleted"
        ticket.status, ticket.version, ticket.updated_at, ticket.deleted_at = CLOSED, ticket.version + 1, now, now
        session.add(
            TicketEvent(
                ticket_id=ticket.id,
                actor="employer",
                action="anonymised",
                from_status=before,
                to_status=CLOSED,
                detail={},
                at=now,
            )
        )


async def _erase_chat_rows(session: AsyncSession, channel: str, chat_id: str) -> None:
    """The chat's questions, feedback and transcript (not left to ON DELETE CASCADE: SQLite may not enforce it)."""
    chat = select(Chat.id).where(Chat.channel == channel, Chat.external_id == chat_id).scalar_subquery()
    await session.execute(delete(Feedback).where(Feedback.chat_id == chat))
    await session.execute(delete(DecisionLog).where(DecisionLog.chat_id == chat))
    await session.execute(delete(Chat).where(Chat.channel == channel, Chat.external_id == chat_id))
    if channel == WEB_CHANNEL:
        await session.execute(delete(WebChatMessage).where(WebChatMessage.chat_id == chat_id))
