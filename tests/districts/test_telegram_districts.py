"""Two districts in one process, on Telegram: the same question gets the same legal answer with each
district's own contacts, and hand-overs land in each district's own staff group."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from sqlalchemy import select

from bot.db import Chat
from bot.tickets.models import Ticket
from bot.tickets.outbox import pending_count
from handlers.telegram_app import running
from tests.districts.conftest import (
    HAFEN_AUTHORITY_GROUP,
    HAFEN_STAFF,
    NORD_AUTHORITY_GROUP,
    NORD_STAFF,
)
from tests.telegram.conftest import telegram_config
from tests.tickets.standin import ForumStandIn
from tests.tickets.test_telegram_flow import Person

# A legal answer that names the authority ({authority}): the same text in every district but for the contact.
LEGAL_QUESTION = "Darf ein Geflüchteter mit Duldung bei mir arbeiten?"
INDIVIDUAL_CASE = "Wann bekommt mein Mitarbeiter Herr Yilmaz seine Verlängerung? Sein Titel läuft nächste Woche ab."


@pytest.fixture
async def standin():
    server = ForumStandIn()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def bot(network_config, standin, tmp_path, shared_core):
    config = telegram_config(network_config, standin, f"sqlite+aiosqlite:///{tmp_path}/lotse.db")
    async with running(config, knowledge=shared_core.knowledge) as running_bot:
        yield running_bot


@pytest.fixture
async def people(bot, standin):
    async with aiohttp.ClientSession() as http:
        yield {
            "nord": Person(bot, standin, http, user_id=111, first_name="Nora"),
            "hafen": Person(bot, standin, http, user_id=222, first_name="Hans"),
        }


async def settle(bot, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while await pending_count(bot.database):
        assert time.monotonic() < deadline, "the outbox did not deliver in time"
        await asyncio.sleep(0.02)


async def rows(bot, model, *where) -> list:
    async with bot.database.transaction() as session:
        return list((await session.execute(select(model).where(*where))).scalars())


async def hand_over(person: Person, company: str = "Bäckerei Beispiel GmbH") -> None:
    [offer] = await person.says(INDIVIDUAL_CASE)
    assert offer.labels == ["Ja, weitergeben", "Nein, danke"]
    await person.presses("Ja, weitergeben")
    await person.says(company)
    await person.presses("Nur hier im Chat")
    [opened] = await person.presses("Ja, einverstanden")
    assert "Ticket #" in opened.text


async def test_same_question_same_law_local_contacts_and_own_staff_groups(bot, standin, people):
    nord, hafen = people["nord"], people["hafen"]
    # Nora came by the Telegram link of Nordheide (t.me/<bot>?start=nordheide).
    *_, chosen = await nord.says("/start nordheide")
    assert "Landkreis Nordheide (Beispiel)" in chosen.text and "/district" in chosen.text
    # Hans just writes: he is asked for his district first; his question waits and is answered after.
    [asked] = await hafen.says(LEGAL_QUESTION)
    assert "Für welchen Landkreis" in asked.text
    assert asked.payloads == ["district:nordheide", "district:hafenberg", "district:talwald"]
    assert await rows(bot, Ticket) == []
    set_hafen, hafen_answer = await hafen.presses("Stadt Hafenberg (Beispiel)")
    assert "Stadt Hafenberg (Beispiel)" in set_hafen.text

    [nord_answer] = await nord.says(LEGAL_QUESTION)
    assert "abh@nordheide.example" in nord_answer.text and "hafenberg" not in nord_answer.text
    assert "abh@hafenberg.example" in hafen_answer.text and "nordheide" not in hafen_answer.text
    contacts = {d: bot.config.district(d).contacts.placeholders("de")["authority"] for d in ("nordheide", "hafenberg")}
    same_law = [nord_answer.text.replace(contacts["nordheide"], "{authority}")]
    same_law.append(hafen_answer.text.replace(contacts["hafenberg"], "{authority}"))
    assert same_law[0] == same_law[1]  # the legal answer is one text for all districts

    await hand_over(nord)
    await hand_over(hafen, company="Talwald")  # a company named like a district is the company, not a switch
    await settle(bot)
    assert {t.chat_external_id: t.company for t in await rows(bot, Ticket)}["222"] == "Talwald"
    tickets = {t.chat_external_id: t.team for t in await rows(bot, Ticket)}
    assert tickets == {"111": "nordheide/authority", "222": "hafenberg/authority"}
    [nord_card] = standin.sent(NORD_AUTHORITY_GROUP)
    [hafen_card] = standin.sent(HAFEN_AUTHORITY_GROUP)
    assert "Yilmaz" in nord_card.text and "Yilmaz" in hafen_card.text
    assert nord_card.labels[1] == "An Netzwerkkoordination Nordheide übergeben"  # within its own district

    # A Nordheide officer cannot take Hafenberg's ticket, even with its button.
    officer = Person(bot, standin, nord.http, user_id=NORD_STAFF, first_name="Olga", chat=hafen_card.result["chat"])
    await officer.presses("Übernehmen")
    await settle(bot)
    assert {t.team: t.status for t in await rows(bot, Ticket)}["hafenberg/authority"] == "open"
    colleague = Person(bot, standin, nord.http, user_id=HAFEN_STAFF, first_name="Hilde", chat=hafen_card.result["chat"])
    await colleague.presses("Übernehmen")
    await settle(bot)
    assert {t.team: t.status for t in await rows(bot, Ticket)}["hafenberg/authority"] == "claimed"

    [chat] = await rows(bot, Chat, Chat.external_id == "222")
    assert chat.district == "hafenberg"


async def test_district_command_changes_the_district(bot, people):
    nord = people["nord"]
    await nord.says("/start")
    [question] = await nord.says("/district")
    assert "Für welchen" in question.text and len(question.payloads) == 3
    chosen, ask = await nord.presses("Landkreis Talwald (Beispiel)")  # chosen now for the first time
    assert "Talwald" in chosen.text and "Frage" in ask.text
    [answer] = await nord.says(LEGAL_QUESTION)
    assert "abh@talwald.example" in answer.text
    [helped] = await nord.says("/help")
    assert "/district" in helped.text
    [again] = await nord.says("/district")
    assert "Aktuell: Landkreis Talwald (Beispiel)." in again.text
    [changed] = await nord.presses("Stadt Hafenberg (Beispiel)")  # a change needs no second prompt
    assert "Hafenberg" in changed.text


async def test_nothing_is_handed_over_before_a_district_is_known(bot, people):
    hafen = people["hafen"]
    [asked] = await hafen.says(INDIVIDUAL_CASE)
    assert "Für welchen Landkreis" in asked.text and "Ja, weitergeben" not in asked.labels
    [again] = await hafen.deliver(hafen.message("x") | {})  # any text: still the question first
    assert "Für welchen" in again.text
    assert await rows(bot, Ticket) == []
