"""The statistics page: does the bot help? Per day (14 days) or week (8 weeks), in local time.

- questions: every classified question (the decision log);
- answered by the bot: decisions with route "answer"; handed over: tickets opened;
  deflection rate = answered / (answered + handed over); clarification rate = clarify / questions;
- 👍/👎 per topic; median and p90 time from a ticket's opening to its first answer, per team;
- open (unanswered) tickets by age; the editors' to-do: questions the bot could not answer
  (clarify, out of scope) or answered with low confidence (below answer + margin).

Scoped by team: the ticket figures count the account's teams' tickets only, and the raw
questions of the to-do list are shown to editors only (the one role that sees everything).

Computed in Python over the period's rows: portable across SQLite and PostgreSQL and fast
enough for a district (thousands of questions a month).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy import func, select

from bot.db.models import DecisionLog, Feedback, utcnow
from bot.tickets.models import CLAIMED, OPEN, Ticket, TicketMessage
from handlers.web.charts import Series, hbars, rate_line, stacked_bars
from handlers.web.security import ACCOUNT
from handlers.web.services import SERVICES

AGE_BUCKETS = (
    (timedelta(hours=1), "< 1 h"),
    (timedelta(hours=4), "1–4 h"),
    (timedelta(days=1), "4–24 h"),
    (timedelta(days=3), "1–3 d"),
    (timedelta(days=7), "3–7 d"),
    (None, "> 7 d"),
)
TODO_LIMIT = 50
COLOURS = {
    "answered": "#1b6e35",
    "handed": "#a64200",
    "clarified": "#1f57a0",
    "other": "#6b6b6b",
    "up": "#1b6e35",
    "down": "#b3261e",
}


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


def todo_query(since: datetime, low: float):
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
    services, period: str, now: datetime | None = None, teams: tuple[str, ...] | None = None, editor: bool = True
) -> Report:
    """The statistics of the last 14 days or 8 weeks.

    Args:
        teams: count only these teams' tickets (None: all; editors see all).
        editor: include the to-do list of raw questions.
    """
    config, now = services.config, now or utcnow()
    mine = Ticket.team.in_(teams) if teams is not None and not editor else Ticket.id.is_not(None)
    zone = ZoneInfo(config.tickets.reminders.office_hours.timezone)
    rows = buckets(period, now, zone)
    since = rows[0].start
    low = config.thresholds.answer + config.thresholds.margin
    async with services.database.read() as session:
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
        todo = [] if not editor else list((await session.execute(todo_query(since, low))).scalars())
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


def charts(result: Report, _) -> dict:
    labels = [b.label for b in result.buckets]
    other = [b.questions - b.answered - b.clarified for b in result.buckets]
    return {
        "volume": stacked_bars(
            _("Questions"),
            labels,
            [
                Series(_("Answered by the bot"), [b.answered for b in result.buckets], COLOURS["answered"]),
                Series(_("Clarified"), [b.clarified for b in result.buckets], COLOURS["clarified"]),
                Series(_("Other"), [max(o, 0) for o in other], COLOURS["other"]),
            ],
        ),
        "deflection": stacked_bars(
            _("Answered by the bot") + " / " + _("Handed over"),
            labels,
            [
                Series(_("Answered by the bot"), [b.answered for b in result.buckets], COLOURS["answered"]),
                Series(_("Handed over"), [b.handed_over for b in result.buckets], COLOURS["handed"]),
            ],
        ),
        "rates": rate_line(
            _("Deflection rate") + " / " + _("Clarification rate"),
            labels,
            [
                (_("Deflection rate"), [b.deflection for b in result.buckets], COLOURS["answered"]),
                (_("Clarification rate"), [b.clarification for b in result.buckets], COLOURS["clarified"]),
            ],
        ),
        "feedback": hbars(
            _("Feedback per topic"),
            [(k, [up, down]) for k, up, down in result.feedback[:15]],
            [(_("Helpful"), COLOURS["up"]), (_("Not helpful"), COLOURS["down"])],
        ),
        "ages": hbars(
            _("Open tickets by age"),
            [(label, [count]) for label, count in result.open_ages],
            [(_("Tickets"), COLOURS["handed"])],
        ),
    }


async def page(request: web.Request) -> web.Response:
    """The statistics page."""
    services = request.app[SERVICES]
    period = "week" if request.query.get("period") == "week" else "day"
    account = request[ACCOUNT]
    result = await report(services, period, teams=account.teams, editor=account.editor)
    context = await _context(request)
    return aiohttp_jinja2.render_template("stats.html", request, {"r": result, "charts": charts(result, context)})


async def _context(request: web.Request):
    from handlers.web.i18n import gettext, pick_language

    return gettext(pick_language(request.headers.get("Accept-Language", ""), request.query.get("lang", "")))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/stats", page, name="console.stats")
