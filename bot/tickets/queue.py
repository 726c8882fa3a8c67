"""The ticket queue as staff see it: filtered lists and counts per team (the console's reads).

Access is decided by the caller (handlers/web/tickets_view.py passes the account's teams);
these queries only ever return tickets of the teams they are given, and never erased ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select

from bot.db.engine import Database
from bot.text_input import parse_id
from bot.tickets.models import ACTIVE, ANSWERED, CLAIMED, CLOSED, OPEN, Ticket

STATUSES = (OPEN, CLAIMED, ANSWERED, CLOSED)
AGES = {"": None, "1h": timedelta(hours=1), "1d": timedelta(days=1), "3d": timedelta(days=3), "7d": timedelta(days=7)}
QUEUE_LIMIT = 200


@dataclass(frozen=True)
class QueueFilter:
    """What the queue page shows: one of the account's teams (or all of them), a status, a search."""

    team: str = ""  # "" = all of the account's teams
    status: str = "active"  # open | claimed | answered | closed | active (= not closed) | all
    q: str = ""  # words in the question or company, or a ticket number (#12)
    age: str = ""  # "" | 1h | 1d | 3d | 7d: only tickets older than this
    mine: bool = False  # only tickets claimed by this account


class TicketQueue:
    """Reads of the queue, limited to the teams the caller names."""

    def __init__(self, database: Database):
        self.database = database

    async def find(
        self, teams: Sequence[str], wanted: QueueFilter, now: datetime, claimed_by: str | None = None
    ) -> list[Ticket]:
        """The teams' tickets matching the filter, oldest first (at most QUEUE_LIMIT).

        `claimed_by`: with `wanted.mine`, only tickets this staff id claimed.
        """
        if not teams:
            return []
        query = select(Ticket).where(Ticket.team.in_(teams), Ticket.deleted_at.is_(None))
        if wanted.status in STATUSES:
            query = query.where(Ticket.status == wanted.status)
        elif wanted.status != "all":
            query = query.where(Ticket.status.in_(ACTIVE))
        if older_than := AGES.get(wanted.age):
            query = query.where(Ticket.created_at < now - older_than)
        if wanted.mine:
            query = query.where(Ticket.claimed_by == claimed_by)
        words = wanted.q.strip()
        if words.lstrip("#").isdigit():  # a number past the database's range finds nothing, like an unknown one
            query = query.where(Ticket.id == (parse_id(words) or 0))
        elif words:
            cleaned = words.replace("\\", "").replace("%", "").replace("_", " ")  # no LIKE wildcards from users
            query = query.where(or_(Ticket.question.ilike(f"%{cleaned}%"), Ticket.company.ilike(f"%{cleaned}%")))
        query = query.order_by(Ticket.created_at).limit(QUEUE_LIMIT)
        async with self.database.read() as session:
            return list((await session.execute(query)).scalars())

    async def counts(self, teams: Sequence[str]) -> dict[str, dict[str, int]]:
        """Per team: how many tickets are open, claimed and answered."""
        if not teams:
            return {}
        async with self.database.read() as session:
            rows = (
                await session.execute(
                    select(Ticket.team, Ticket.status, func.count())
                    .where(Ticket.team.in_(teams), Ticket.status.in_(ACTIVE), Ticket.deleted_at.is_(None))
                    .group_by(Ticket.team, Ticket.status)
                )
            ).all()
        counts = {team: {status: 0 for status in ACTIVE} for team in teams}
        for team, status, count in rows:
            counts[team][status] = count
        return counts
