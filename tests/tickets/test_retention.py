"""Nothing is kept longer than the configured retention."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.config import Retention, TeamFiles
from bot.db import DbChatStore
from bot.db.models import DecisionLog, Feedback, ProcessedUpdate, utcnow
from bot.decision import Decision, Route
from bot.retention import purge
from bot.tickets.files import check_upload, send_file
from bot.tickets.models import TeamFile, Ticket, TicketEvent
from tests.tickets.test_service import ANNA, open_ticket

RETENTION = Retention(days=30, processed_updates_days=7)


async def count(database, model) -> int:
    async with database.read() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_old_data_goes_and_recent_data_stays(database, desk):
    store = DbChatStore(database)
    decision = Decision(Route.ANSWER, "status.tolerated", 0.9, (), "test")
    decision_id = await store.record_decision("telegram", "4711", "Darf er mit Duldung arbeiten?", "de", decision)
    await store.record_feedback("telegram", "4711", decision_id, "status.tolerated", True)
    async with database.transaction() as session:
        session.add(ProcessedUpdate(channel="telegram", external_id="1001", processed_at=utcnow() - timedelta(days=8)))
        session.add(ProcessedUpdate(channel="telegram", external_id="1002", processed_at=utcnow()))
    open_one = await open_ticket(desk, chat="1")
    closed = await open_ticket(desk, chat="2")
    await desk.service.claim(closed.id, ANNA)
    await desk.service.close(closed.id, ANNA)

    removed = await purge(database, RETENTION, now=utcnow())
    assert removed["processed_updates"] == 1  # only the 8-day-old record
    assert removed["decisions"] == removed["feedback"] == removed["tickets"] == 0
    assert await count(database, DecisionLog) == 1 and await count(database, Ticket) == 2

    later = max(utcnow(), desk.service.clock()) + timedelta(days=31)
    removed = await purge(database, RETENTION, now=later)
    assert removed["decisions"] == 1 and removed["feedback"] == 1 and removed["tickets"] == 1
    assert await count(database, DecisionLog) == 0 and await count(database, Feedback) == 0
    async with database.read() as session:
        assert (await session.scalars(select(Ticket.id))).all() == [open_one.id]  # an open ticket is never purged
        events = (await session.scalars(select(TicketEvent.ticket_id))).all()
    assert closed.id not in events  # the audit trail of the purged ticket went with it


async def test_team_files_go_after_the_retention(database, desk):
    ticket = await open_ticket(desk, chat="3")
    pdf = check_upload("Merkblatt.pdf", b"%PDF-1.4\n%%EOF\n", TeamFiles(), "de")
    await send_file(desk.service, ticket.id, ANNA, pdf)
    assert (await purge(database, RETENTION, now=desk.service.clock()))["team_files"] == 0
    removed = await purge(database, RETENTION, now=desk.service.clock() + timedelta(days=31))
    assert removed["team_files"] == 1 and await count(database, TeamFile) == 0
