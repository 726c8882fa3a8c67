"""Keep no data longer than the configured retention (config.yml `retention:`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, or_

from bot.accounts.models import FaqSuggestion
from bot.config import Retention
from bot.db import Inbox
from bot.db.engine import Database
from bot.db.models import ChatFlood, DecisionLog, Feedback, utcnow
from bot.tickets.models import CLOSED, FAILED, SENT, ConversationState, OutboxMessage, TeamFile, Ticket

log = logging.getLogger(__name__)


async def purge(database: Database, retention: Retention, now: datetime | None = None) -> dict[str, int]:
    """Delete what is older than the retention; returns the number of rows per table.

    Decisions, feedback, closed tickets (with their messages and audit trail), files the teams
    sent and FAQ suggestions go after `retention.days`; delivered or failed outbox messages and
    stale hand-over conversations with them; the record of processed updates, and the chats' flood counts, after
    `retention.processed_updates_days` (Telegram redelivers for at most a day).
    """
    now = now or utcnow()
    cutoff = now - timedelta(days=retention.days)
    statements = {
        "feedback": delete(Feedback).where(Feedback.created_at < cutoff),
        "decisions": delete(DecisionLog).where(DecisionLog.created_at < cutoff),
        "outbox": delete(OutboxMessage).where(
            OutboxMessage.created_at < cutoff, OutboxMessage.status.in_((SENT, FAILED))
        ),
        # Files the teams sent: before their tickets (SQLite may not enforce ON DELETE CASCADE).
        "team_files": delete(TeamFile).where(TeamFile.created_at < cutoff),
        "tickets": delete(Ticket).where(
            Ticket.status == CLOSED,
            or_(Ticket.closed_at < cutoff, Ticket.closed_at.is_(None) & (Ticket.updated_at < cutoff)),
        ),
        "conversation_states": delete(ConversationState).where(ConversationState.updated_at < cutoff),
        # They quote employers' questions: kept no longer than the questions themselves.
        "faq_suggestions": delete(FaqSuggestion).where(FaqSuggestion.created_at < cutoff),
        # flood counts (several processes): long out of their window, and they name the chat
        "chat_floods": delete(ChatFlood).where(
            ChatFlood.updated_at < now - timedelta(days=retention.processed_updates_days)
        ),
    }
    removed = {}
    async with database.transaction() as session:
        for table, statement in statements.items():
            removed[table] = cast(CursorResult[Any], await session.execute(statement)).rowcount or 0
    removed["processed_updates"] = await Inbox(database).prune(timedelta(days=retention.processed_updates_days), now)
    if any(removed.values()):
        log.info("retention: removed %s", ", ".join(f"{n} {t}" for t, n in removed.items() if n))
    return removed


async def keep_purging(database: Database, retention: Retention, clock: Callable[[], datetime] = utcnow) -> None:
    """Purge once now and then every `retention.check_every_hours`, until cancelled."""
    while True:
        try:
            await purge(database, retention, clock())
        except Exception:  # housekeeping must never end the bot
            log.exception("retention purge failed")
        await asyncio.sleep(retention.check_every_hours * 3600)
