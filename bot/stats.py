"""The statistics the console shows: does the bot help? Per day (14 days) or week (8 weeks), in local time.

- questions: every classified question (the decision log);
- answered by the bot: decisions with route "answer"; handed over: tickets opened;
  deflection rate = answered / (answered + handed over); clarification rate = clarify / questions;
- 👍/👎 per topic; median and p90 time from a ticket's opening to its first answer, per team;
- open (unanswered) tickets by age; the editors' to-do: questions the bot could not answer
  (clarify, out of scope) or answered with low confidence (below answer + margin).

Scoped by team: the ticket figures count the account's teams' tickets only, and the raw
questions of the to-do list are shown to editors only (the one role that sees everything).

Computed in Python over the period's rows: portable across SQLite and PostgreSQL and fast
enough for a district (thousands of questions a month). handlers/web/stats.py draws them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.config import Config
from bot.db.engine import Database
from bot.db.models import DecisionLog, Feedback, utcnow
from bot.tickets.models import CLAIMED, OPEN, Ticket, TicketMessage

AGE_BUCKETS = (
    (timedelta(hours=1), "< 1 h"),
    (timedelta(hours=4), "1–4 h"),
    (timedelta(days=1), "4–24 h"),
    (timedelta(days=3), "1–3 d"),
    (timedelta(days=7), "3–7 d"),
    (None, "> 7 d"),
)
TODO_LIMIT = 50


@dataclass
class Bucket:
    label: str
    start: datetime
    questions: int = 0
    answered: int = 0
    clarified: int = 0
    handed_over: int = 0

    @property
    def deflection(self) -> float | None:
        total = self.answered + self.handed_over
        return self.answered / total if total else None

    @property
    def clarification(self) -> float | None:
        return self.clarified / self.questions if self.questions else None


@dataclass
class Report:
    period: str
    buckets: list[Bucket]
    feedback: list[tuple[str, int, int]] = field(default_factory=list)  # topic, 👍, 👎
    response: list[tuple[str, int, float, float]] = field(default_factory=list)  # team, n, median h, p90 h
    open_ages: list[tuple[str, int]] = field(default_factory=list)
    todo: list[DecisionLog] = field(default_factory=list)
    show_todo: bool = False


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share 0.5 = median), as staff would count it off a sorted list."""
    ordered = sorted(values)
    rank = max(1, -(-int(share * len(ordered) * 1000) // 1000))  # ceil without float noise
    return ordered[min(rank, len(ordered)) - 1]


def _todo_query(since: datetime, low: float):
    """The editors' to-do: questions since `since` the bot could not answer, or answered below `low`."""
    return (
        select(DecisionLog)
        .where(
            DecisionLog.created_at >= since,
            DecisionLog.route.in_(("clarify", "out_of_scope"))
            | ((DecisionLog.route == "answer") & (DecisionLog.confidence < low)),
        )
        .order_by(DecisionLog.id.desc())
        .limit(TODO_LIMIT)
    )


def buckets(period: str, now: datetime, zone: ZoneInfo) -> list[Bucket]:
    today = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        monday = today - timedelta(days=today.weekday())
        starts = [monday - timedelta(weeks=k) for k in range(7, -1, -1)]
        return [Bucket(f"KW {s.isocalendar().week}", s) for s in starts]
    starts = [today - timedelta(days=k) for k in range(13, -1, -1)]
    return [Bucket(s.strftime("%d.%m."), s) for s in starts]


def _slot(rows: list[Bucket], moment: datetime) -> Bucket | None:
    found = None
    for bucket in rows:
        if moment >= bucket.start:
            found = bucket
    return found


async def report(
    database: Database,
    config: Config,
    period: str,
    now: datetime | None = None,
    teams: tuple[str, ...] | None = None,
    editor: bool = True,
) -> Report:
    """The statistics of the last 14 days or 8 weeks.

    Args:
        teams: count only these teams' tickets (None: all; editors see all).
        editor: include the to-do list of raw questions.
    """
    now = now or utcnow()
    mine = Ticket.team.in_(teams) if teams is not None and not editor else Ticket.id.is_not(None)
    zone = ZoneInfo(config.tickets.reminders.office_hours.timezone)
    rows = buckets(period, now, zone)
    since = rows[0].start
    low = config.thresholds.answer + config.thresholds.margin
    async with database.read() as session:
        for created, route in (
            await session.execute(
                select(DecisionLog.created_at, DecisionLog.route).where(DecisionLog.created_at >= since)
            )
        ).all():
            bucket = _slot(rows, created)
            if bucket:
                bucket.questions += 1
                bucket.answered += route == "answer"
                bucket.clarified += route == "clarify"
        opened = select(Ticket.created_at).where(Ticket.created_at >= since, mine)
        for (created,) in (await session.execute(opened)).all():
            bucket = _slot(rows, created)
            if bucket:
                bucket.handed_over += 1
        votes = (
            await session.execute(
                select(Feedback.faq_id, Feedback.helpful, func.count())
                .where(Feedback.created_at >= since)
                .group_by(Feedback.faq_id, Feedback.helpful)
            )
        ).all()
        first = (
            select(TicketMessage.ticket_id, func.min(TicketMessage.created_at).label("first"))
            .where(TicketMessage.author == "staff")
            .group_by(TicketMessage.ticket_id)
            .subquery()
        )
        answered = (
            await session.execute(
                select(Ticket.team, Ticket.created_at, first.c.first)
                .join(first, first.c.ticket_id == Ticket.id)
                .where(Ticket.created_at >= since, mine)
            )
        ).all()
        waiting = (
            (
                await session.execute(
                    select(Ticket.created_at).where(
                        Ticket.status.in_((OPEN, CLAIMED)), Ticket.deleted_at.is_(None), mine
                    )
                )
            )
            .scalars()
            .all()
        )
        todo = [] if not editor else list((await session.execute(_todo_query(since, low))).scalars())
    result = Report(period, rows, todo=todo, show_todo=editor)
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for faq_id, helpful, count in votes:
        tally[faq_id][0 if helpful else 1] += count
    result.feedback = sorted(((k, up, down) for k, (up, down) in tally.items()), key=lambda r: (-r[2], -r[1], r[0]))
    hours: dict[str, list[float]] = defaultdict(list)
    for team, created, first_answer in answered:
        hours[team].append(max((first_answer - created).total_seconds(), 0) / 3600)
    result.response = [(team, len(v), percentile(v, 0.5), percentile(v, 0.9)) for team, v in sorted(hours.items())]
    ages: Counter[str] = Counter()
    for created in waiting:
        age = now - created
        ages[next(label for limit, label in AGE_BUCKETS if limit is None or age < limit)] += 1
    result.open_ages = [(label, ages[label]) for _, label in AGE_BUCKETS]
    return result


async def unanswered(database: Database, config: Config, days: int, now: datetime | None = None) -> list[DecisionLog]:
    """The questions of the last `days` the bot could not answer or answered unsure (the editors' to-do)."""
    since = (now or utcnow()) - timedelta(days=days)
    low = config.thresholds.answer + config.thresholds.margin
    async with database.read() as session:
        return list((await session.execute(_todo_query(since, low))).scalars())
