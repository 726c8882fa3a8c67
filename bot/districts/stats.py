"""The network role's view: every district's figures side by side, and the FAQ gaps they share.

Per district over the last days: questions, answered by the bot, handed over (tickets opened),
deflection rate, median time to the first human answer, and unanswered questions (clarified,
out of scope, or answered below answer + margin). A gap is a topic (the bot's best guess) or a route
that unanswered questions fall on; a gap in two or more districts is worth one shared FAQ entry.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.config import Config
from bot.db.engine import Database
from bot.db.models import Chat, DecisionLog, utcnow
from bot.stats import percentile
from bot.tickets.models import Ticket, TicketMessage


@dataclass
class DistrictFigures:
    district: str
    questions: int = 0
    answered: int = 0
    handed_over: int = 0
    unanswered: int = 0
    first_answer_hours: list[float] = field(default_factory=list)

    @property
    def deflection(self) -> float | None:
        total = self.answered + self.handed_over
        return self.answered / total if total else None

    @property
    def median_first_answer(self) -> float | None:
        return percentile(self.first_answer_hours, 0.5) if self.first_answer_hours else None


@dataclass(frozen=True)
class FaqGap:
    label: str  # a topic id, or a route such as out_of_scope
    per_district: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.per_district.values())


@dataclass
class NetworkReport:
    days: int
    districts: list[DistrictFigures]
    gaps: list[FaqGap]  # in two or more districts, most districts first


def _unanswered(route: str, confidence: float, low: float) -> bool:
    return route in ("clarify", "out_of_scope") or (route == "answer" and confidence < low)


async def network_report(
    database: Database, config: Config, days: int = 28, now: datetime | None = None
) -> NetworkReport:
    """Every district's figures of the last `days` days, and the gaps common to several districts."""
    since = (now or utcnow()) - timedelta(days=days)
    low = config.thresholds.answer + config.thresholds.margin
    figures = {district: DistrictFigures(district) for district in config.district_ids}
    gaps: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    first = (
        select(TicketMessage.ticket_id, func.min(TicketMessage.created_at).label("first"))
        .where(TicketMessage.author == "staff")
        .group_by(TicketMessage.ticket_id)
        .subquery()
    )
    async with database.read() as session:
        decisions = await session.execute(
            select(Chat.district, DecisionLog.route, DecisionLog.confidence, DecisionLog.faq_id)
            .join(Chat, Chat.id == DecisionLog.chat_id)
            .where(DecisionLog.created_at >= since, Chat.district.in_(tuple(figures)))
        )
        for district, route, confidence, faq_id in decisions.all():
            row = figures[str(district)]  # not None: the query asks for the configured districts
            row.questions += 1
            row.answered += route == "answer"
            if _unanswered(route, confidence, low):
                row.unanswered += 1
                gaps[faq_id or route][row.district] += 1
        tickets = await session.execute(
            select(Ticket.team, Ticket.created_at, first.c.first)
            .outerjoin(first, first.c.ticket_id == Ticket.id)
            .where(Ticket.created_at >= since, Ticket.team.in_(tuple(config.tickets.teams)))
        )
        for team, created, answered_at in tickets.all():
            row = figures[config.district_of_team(team)]
            row.handed_over += 1
            if answered_at is not None:
                row.first_answer_hours.append(max((answered_at - created).total_seconds(), 0) / 3600)
    common = [FaqGap(label, dict(counts)) for label, counts in gaps.items() if len(counts) >= 2]
    common.sort(key=lambda gap: (-len(gap.per_district), -gap.total, gap.label))
    return NetworkReport(days, list(figures.values()), common)
