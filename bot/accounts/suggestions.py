"""The editors' FAQ suggestions in the database: proposed from an answered ticket, reviewed on the console."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.accounts.models import FaqSuggestion
from bot.db.engine import Database
from bot.db.models import utcnow

STATUSES = ("new", "done", "dismissed")
LISTED = 500  # the editors' page shows the newest this many


class Suggestions:
    """Store, list and mark the suggestions (handlers/web/editors.py renders them)."""

    def __init__(self, database: Database):
        self.database = database

    async def propose(
        self,
        *,
        ticket_id: int,
        lang: str,
        question: str,
        answer: str,
        topic_id: str | None,
        new_topic_id: str | None,
        created_by: str,
    ) -> int:
        async with self.database.transaction() as session:
            row = FaqSuggestion(
                ticket_id=ticket_id,
                lang=lang,
                question=question,
                answer=answer,
                topic_id=topic_id,
                new_topic_id=new_topic_id,
                status="new",
                created_by=created_by,
                created_at=utcnow(),
            )
            session.add(row)
            await session.flush()
            return row.id

    async def listed(self, status: str) -> list[FaqSuggestion]:
        """The newest suggestions with this status (any other value: all of them)."""
        query = select(FaqSuggestion).order_by(FaqSuggestion.id.desc()).limit(LISTED)
        if status in STATUSES:
            query = query.where(FaqSuggestion.status == status)
        async with self.database.read() as session:
            return list((await session.execute(query)).scalars())

    async def mark(self, suggestion_id: int, status: str) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown suggestion status {status!r}")
        async with self.database.transaction() as session:
            await session.execute(update(FaqSuggestion).where(FaqSuggestion.id == suggestion_id).values(status=status))
