"""The ticket lifecycle on a real database (SQLite file and PostgreSQL): states, audit trail,
named errors, race-free claims, reopening, hand-over, reminders and deletion."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.tickets.models import OutboxMessage, Ticket, TicketEvent, TicketMessage
from bot.tickets.service import Actor, Contact, InvalidTransition, NotAllowed, TicketNotFound
from tests.tickets.conftest import (
    AUTHORITY_GROUP,
    AUTHORITY_STAFF,
    COORDINATOR_GROUP,
    COORDINATOR_STAFF,
    OUTSIDER,
    drain,
)

ANNA = Actor("staff", str(AUTHORITY_STAFF), "Anna Amt", ("authority",))
CARL = Actor("staff", str(COORDINATOR_STAFF), "Carl Koord", ("coordinator",))
EVE = Actor("staff", str(OUTSIDER), "Eve", ())


async def open_ticket(
    desk, team="authority", chat="4711", source=None, question="Wann wird der Titel von Herrn Y verlängert?"
):
    return await desk.service.open(
        channel="telegram",
        chat_id=chat,
        team=team,
        lang="de",
        question=question,
        company="Bäckerei Beispiel",
        contact=Contact("phone", "+49 170 1234567"),
        classification={"route": team, "confidence": 0.8, "reason": "route above 0.40"},
        source_key=source,
    )


async def count(database, model, *where) -> int:
    async with database.transaction() as session:
        return (await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


async def test_lifecycle_with_audit_trail(desk, database, recorder):
    ticket = await open_ticket(desk)
    assert ticket.status == "open" and ticket.staff_chat_id == AUTHORITY_GROUP

    await desk.service.claim(ticket.id, ANNA)
    answered = await desk.service.answer(ticket.id, ANNA, "Der Antrag liegt vor; Sie hören bis Freitag von uns.")
    assert answered.status == "answered" and answered.claimed_by == str(AUTHORITY_STAFF)
    reopened, was_reopened = await desk.service.employer_message(ticket.id, "telegram", "4711", "Danke, und bis wann?")
    assert was_reopened and reopened.status == "claimed"
    await desk.service.answer(ticket.id, ANNA, "Bis Freitag.")
    solved = await desk.service.solve(ticket.id, "telegram", "4711")
    assert (solved.status, solved.close_reason) == ("closed", "solved")

    events = await desk.service.events(ticket.id)
    assert [(e.action, e.from_status, e.to_status) for e in events] == [
        ("opened", None, "open"),
        ("claimed", "open", "claimed"),
        ("answered", "claimed", "answered"),
        ("reopened", "answered", "claimed"),
        ("answered", "claimed", "answered"),
        ("solved", "answered", "closed"),
    ]
    assert events[1].actor == f"staff:{AUTHORITY_STAFF}" and events[1].detail["name"] == "Anna Amt"
    assert all(e.at is not None for e in events)
    assert [m.author for m in await desk.service.messages(ticket.id)] == ["employer", "staff", "employer", "staff"]

    await drain(desk)
    answers = [i for i in recorder.to("4711") if i.purpose == "answer"]
    assert len(answers) == 2 and answers[0].payload["text"].endswith("— Ausländerbehörde")  # signed by the team
    assert "Anna" not in answers[0].payload["text"]  # not by the person
    assert answers[0].payload["buttons"] == [
        [["Antworten", f"tk:{ticket.id}:reply"], ["Gelöst, danke", f"tk:{ticket.id}:solved"]]
    ]


async def test_named_errors(desk):
    with pytest.raises(TicketNotFound):
        await desk.service.claim(999, ANNA)
    ticket = await open_ticket(desk)
    with pytest.raises(NotAllowed):
        await desk.service.claim(ticket.id, EVE)
    with pytest.raises(NotAllowed):
        await desk.service.answer(ticket.id, CARL, "not my team's ticket")
    await desk.service.claim(ticket.id, ANNA)
    with pytest.raises(InvalidTransition, match="claimed by Anna Amt"):
        await desk.service.claim(ticket.id, ANNA)
    await desk.service.close(ticket.id, ANNA)
    with pytest.raises(InvalidTransition):
        await desk.service.answer(ticket.id, ANNA, "too late")
    with pytest.raises(TicketNotFound):  # another chat never sees the ticket
        await desk.service.employer_message(ticket.id, "telegram", "other-chat", "hello")


async def test_refused_claim_changes_nothing(desk, database):
    ticket = await open_ticket(desk)
    before = await count(database, TicketEvent), await count(database, OutboxMessage)
    with pytest.raises(NotAllowed):
        await desk.service.claim(ticket.id, EVE)
    assert (await count(database, TicketEvent), await count(database, OutboxMessage)) == before
    assert (await desk.service.get(ticket.id)).status == "open"


async def test_concurrent_claims_one_wins(desk, team_config, clock, database):
    colleague = Actor("staff", "503", "Bea Amt", ("authority",))
    ticket = await open_ticket(desk)
    results = await asyncio.gather(
        desk.service.claim(ticket.id, ANNA), desk.service.claim(ticket.id, colleague), return_exceptions=True
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert sum(isinstance(r, InvalidTransition) for r in results) == 1
    assert await count(database, TicketEvent, TicketEvent.action == "claimed") == 1


async def test_redelivered_open_creates_one_ticket(desk, database):
    first = await open_ticket(desk, source="telegram:700000123")
    again = await open_ticket(desk, source="telegram:700000123")
    assert first.id == again.id
    assert await count(database, Ticket) == 1
    assert await count(database, OutboxMessage, OutboxMessage.purpose == "card") == 1


async def test_redelivered_answer_is_relayed_once(desk, database):
    ticket = await open_ticket(desk)
    await desk.service.answer(ticket.id, ANNA, "Antwort", source_key="telegram:800")
    await desk.service.answer(ticket.id, ANNA, "Antwort", source_key="telegram:800")
    assert await count(database, TicketMessage, TicketMessage.author == "staff") == 1
    assert await count(database, OutboxMessage, OutboxMessage.purpose == "answer") == 1


async def test_reopen_only_within_the_configured_time(desk, clock):
    ticket = await open_ticket(desk)
    await desk.service.answer(ticket.id, ANNA, "Antwort")
    clock.advance(days=15)  # tickets.reopen_within_days is 14
    with pytest.raises(InvalidTransition):
        await desk.service.employer_message(ticket.id, "telegram", "4711", "Noch eine Frage")


async def test_hand_over_moves_the_ticket_with_a_note(desk, recorder):
    ticket = await open_ticket(desk)
    await desk.service.claim(ticket.id, ANNA)
    moved = await desk.service.hand_over(ticket.id, ANNA, "coordinator", note="Eher eine Förderfrage.")
    assert (moved.team, moved.status, moved.claimed_by) == ("coordinator", "open", None)
    assert moved.staff_chat_id == COORDINATOR_GROUP
    with pytest.raises(NotAllowed):  # the authority let go of it
        await desk.service.claim(ticket.id, ANNA)
    await desk.service.claim(ticket.id, CARL)
    await drain(desk)
    card = [i for i in recorder.to(COORDINATOR_GROUP) if i.purpose == "card"][-1]
    assert "Eher eine Förderfrage." in card.payload["text"] and card.payload["title"].startswith("Ticket #")
    assert any("handed over" in text or "übergeben" in text for text in recorder.texts(AUTHORITY_GROUP))
    told = [i for i in recorder.to("4711") if i.purpose == "handed_over"]
    assert told and "Netzwerkkoordination" in told[0].payload["text"]
    [event] = [e for e in await desk.service.events(ticket.id) if e.action == "handed_over"]
    assert event.detail["from_team"] == "authority" and event.detail["note"] == "Eher eine Förderfrage."


async def test_forum_topic_then_card_in_it(desk, recorder, database):
    ticket = await open_ticket(desk)
    await drain(desk)
    topic, card = recorder.to(AUTHORITY_GROUP)[:2]
    assert topic.kind == "topic" and topic.payload["name"].startswith(f"#{ticket.id} ")
    assert card.purpose == "card" and card.thread_id is not None  # posted into the new topic
    stored = await desk.service.get(ticket.id)
    assert stored.staff_thread_id == card.thread_id and stored.staff_message_id is not None
    found, _ = await desk.service.for_staff_message(AUTHORITY_GROUP, stored.staff_thread_id, None)
    assert found.id == ticket.id


async def test_card_without_forum_and_replies_thread_to_it(desk, recorder):
    ticket = await open_ticket(desk, team="coordinator")
    await drain(desk)
    [card] = recorder.to(COORDINATOR_GROUP)
    assert card.kind == "message" and card.thread_id is None
    await desk.service.employer_message(ticket.id, "telegram", "4711", "Nachtrag: es geht um 3 Personen")
    await drain(desk)
    follow = recorder.to(COORDINATOR_GROUP)[-1]
    stored = await desk.service.get(ticket.id)
    assert follow.reply_to == stored.staff_message_id and "3 Personen" in follow.payload["text"]
    found, purpose = await desk.service.for_staff_message(COORDINATOR_GROUP, None, stored.staff_message_id)
    assert (found.id, purpose) == (ticket.id, "card")


async def test_reminders(desk, clock, recorder, database):
    quiet = await open_ticket(desk, chat="1")
    answered = await open_ticket(desk, chat="2")
    await desk.service.answer(answered.id, ANNA, "Erledigt")
    clock.advance(hours=3)  # Tuesday 13:00 in Berlin: office hours
    done = await desk.reminders.run_once()
    assert done["reannounced"] == [quiet.id] and not done["closed"]
    clock.advance(hours=46)  # 48 h without an answer
    assert (await desk.reminders.run_once())["employer_told"] == [quiet.id]
    assert (await desk.reminders.run_once())["employer_told"] == []  # once only
    clock.advance(days=14)  # answered, no reply for 14 days
    assert (await desk.reminders.run_once())["closed"] == [answered.id]
    assert (await desk.service.get(answered.id)).close_reason == "timeout"
    await drain(desk)
    assert any(i.purpose == "waiting" for i in recorder.to("1"))
    assert any(i.purpose == "autoclosed" for i in recorder.to("2"))
    assert any(i.purpose == "reminder" for i in recorder.to(AUTHORITY_GROUP))


async def test_no_reannouncement_outside_office_hours(desk, clock):
    await open_ticket(desk)
    clock.advance(hours=12)  # Tuesday 22:00 in Berlin
    assert (await desk.reminders.run_once())["reannounced"] == []
    clock.advance(hours=11)  # Wednesday 09:00
    assert len((await desk.reminders.run_once())["reannounced"]) == 1
