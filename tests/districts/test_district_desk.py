"""The ticket desk in a network: tickets of a district's teams, hand-overs within the district,
staff of one district cannot act on another's tickets, office hours per district."""

from __future__ import annotations

import pytest

from bot.tickets.desk import TicketDesk
from bot.tickets.service import Actor, Contact, NotAllowed
from tests.districts.conftest import HAFEN_AUTHORITY_GROUP, HAFEN_STAFF, NORD_AUTHORITY_GROUP, NORD_STAFF
from tests.tickets.conftest import Clock, Recorder, drain

NORD = Actor("staff", str(NORD_STAFF), "Nora Amt", ("nordheide/authority", "nordheide/coordinator"))


@pytest.fixture
def clock() -> Clock:
    return Clock()  # a Tuesday, 10:00 in Berlin


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def desk(database, network_config, clock, recorder) -> TicketDesk:
    return TicketDesk.build(database, network_config, {"telegram": recorder}, clock=clock)


async def open_ticket(desk, team: str, chat: str):
    return await desk.service.open(
        channel="telegram",
        chat_id=chat,
        team=team,
        lang="de",
        question="Wann wird der Titel von Herrn Y verlängert?",
        company="Bäckerei Beispiel",
        contact=Contact("chat", None),
        classification={"route": "authority", "confidence": 0.8, "reason": "test"},
    )


async def test_tickets_go_to_their_districts_groups_and_stay_there(desk, recorder, network_config):
    nord = await open_ticket(desk, "nordheide/authority", "1")
    hafen = await open_ticket(desk, "hafenberg/authority", "2")
    assert (nord.staff_chat_id, hafen.staff_chat_id) == (NORD_AUTHORITY_GROUP, HAFEN_AUTHORITY_GROUP)
    with pytest.raises(NotAllowed):
        await desk.service.claim(hafen.id, NORD)
    with pytest.raises(NotAllowed, match="another district"):
        await desk.service.hand_over(nord.id, NORD, "hafenberg/coordinator")
    moved = await desk.service.hand_over(nord.id, NORD, "nordheide/coordinator", "eher Förderung")
    assert moved.team == "nordheide/coordinator"
    await drain(desk)
    assert recorder.to(HAFEN_AUTHORITY_GROUP) and all("#1 " not in t for t in recorder.texts(HAFEN_AUTHORITY_GROUP))
    hafen_staff = Actor("staff", str(HAFEN_STAFF), "Hilde", ("hafenberg/authority",))
    assert (await desk.service.claim(hafen.id, hafen_staff)).status == "claimed"


async def test_unclaimed_tickets_are_reannounced_in_each_districts_office_hours(desk, clock):
    nord = await open_ticket(desk, "nordheide/authority", "1")
    await open_ticket(desk, "hafenberg/authority", "2")
    clock.advance(days=3)  # Friday 10:00: Nordheide's office is open (Mon-Fri), Hafenberg's is not (Mon-Thu)
    assert desk.reminders.teams_in_office(clock()) == ("nordheide/authority", "nordheide/coordinator") + (
        "talwald/authority",
        "talwald/coordinator",
    )
    assert (await desk.reminders.run_once())["reannounced"] == [nord.id]


async def test_a_chats_district_is_stored_and_read_with_its_view(database):
    from bot.db import DbChatStore
    from bot.tickets.conversation import ConversationStore

    store, states = DbChatStore(database), ConversationStore(database)
    assert await store.district("telegram", "7") is None and (await states.view("telegram", "7")).district is None
    await store.set_language("telegram", "7", "en")
    await store.set_district("telegram", "7", "hafenberg")
    await store.set_district("telegram", "7", "talwald")  # changed with /district
    view = await states.view("telegram", "7")
    assert (view.language, view.district) == ("en", "talwald") and await store.district("telegram", "7") == "talwald"
