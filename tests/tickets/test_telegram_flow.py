"""The hand-over on Telegram, end to end, as transcripts: an employer's chat and the teams' staff
groups over the real webhook, the Bot API stand-in, the outbox worker and a real database."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import select

from bot.db import Chat, DecisionLog
from bot.decision import Route
from bot.tickets.models import ConversationState, OutboxMessage, Ticket, TicketMessage
from bot.tickets.outbox import pending_count
from handlers.telegram_app import running
from tests.telegram.conftest import Employer, telegram_config
from tests.telegram.test_transcripts import INDIVIDUAL_CASES, pick
from tests.tickets.conftest import (
    AUTHORITY_GROUP,
    AUTHORITY_STAFF,
    COORDINATOR_GROUP,
    COORDINATOR_STAFF,
    OUTSIDER,
    with_teams,
)
from tests.tickets.standin import ForumStandIn

GERMAN_CASES = [q for q in INDIVIDUAL_CASES if q.startswith("Wann")] + [
    "Die Aufenthaltserlaubnis meines Mitarbeiters läuft nächste Woche ab. "
    "Wann entscheidet die Behörde über seinen Antrag?"
]


class Person(Employer):
    """Someone in a chat with Lotse; their calls return only what came back into their own chat
    (the outbox delivers to other chats at the same time)."""

    async def deliver(self, update: dict):
        return [c for c in await super().deliver(update) if c.chat_id == self.chat["id"]]


FORUM = {"id": AUTHORITY_GROUP, "type": "supergroup", "title": "Ausländerbehörde – Lotse", "is_forum": True}
CARDS = {"id": COORDINATOR_GROUP, "type": "supergroup", "title": "Netzwerk – Lotse"}


@pytest.fixture
async def standin():
    server = ForumStandIn()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def on_delete() -> str:
    return "anonymise"


@pytest.fixture
async def bot(config, standin, db_url, shared_core, on_delete):
    tg_config = with_teams(telegram_config(config, standin, db_url), on_delete=on_delete)
    async with running(tg_config, knowledge=shared_core.knowledge) as running_bot:
        yield running_bot


@pytest.fixture
async def people(bot, standin):
    import aiohttp

    async with aiohttp.ClientSession() as http:
        yield {
            "employer": Person(bot, standin, http),
            "officer": Person(bot, standin, http, user_id=AUTHORITY_STAFF, first_name="Olga", chat=FORUM),
            "outsider": Person(bot, standin, http, user_id=OUTSIDER, first_name="Eve", chat=FORUM),
            "coordinator": Person(
                bot, standin, http, user_id=COORDINATOR_STAFF, first_name="Carl", language_code="en", chat=CARDS
            ),
        }


async def settle(bot, timeout: float = 10.0) -> None:
    """Wait until the outbox has delivered everything."""
    deadline = time.monotonic() + timeout
    while await pending_count(bot.database):
        assert time.monotonic() < deadline, "the outbox did not deliver in time"
        await asyncio.sleep(0.02)


async def table(bot, model, *where) -> list:
    async with bot.database.transaction() as session:
        return list((await session.execute(select(model).where(*where))).scalars())


async def hand_over_to_authority(bot, employer) -> tuple[Ticket, list]:
    """The employer's side up to the ticket: question, confirm, company, phone, consent."""
    question = await pick(bot.core.dialogue, Route.AUTHORITY, GERMAN_CASES)
    [offer] = await employer.says(question)
    assert "Ausländerbehörde" in offer.text and offer.labels == ["Ja, weitergeben", "Nein, danke"]
    [company] = await employer.presses("Ja, weitergeben")
    assert company.text == "Wie heißt Ihr Unternehmen?" and company.labels == ["Abbrechen"]
    [contact] = await employer.says("Bäckerei Beispiel GmbH")
    assert contact.labels == ["Nur hier im Chat", "Telefon", "E-Mail", "Abbrechen"]
    await employer.presses("Telefon")
    [bad] = await employer.says("morgen früh")
    assert "Telefonnummer" in bad.text
    [consent] = await employer.says("+49 170 1234567")
    assert consent.labels == ["Ja, einverstanden", "Nein, danke"]
    confirm = employer.press_update("Ja, einverstanden")
    [opened] = await employer.deliver(confirm)
    [ticket] = await table(bot, Ticket)
    assert f"Ticket #{ticket.id}" in opened.text and "zwei Werktagen" in opened.text
    return ticket, [question, confirm]


async def test_question_to_authority_answered_reopened_solved(bot, standin, people, db_url):
    employer, officer, outsider = people["employer"], people["officer"], people["outsider"]
    ticket, (question, _) = await hand_over_to_authority(bot, employer)
    await settle(bot)

    [topic] = standin.of("createForumTopic")
    assert (
        int(topic.params["chat_id"]) == AUTHORITY_GROUP
        and topic.params["name"] == f"#{ticket.id} Bäckerei Beispiel GmbH"
    )
    [card] = standin.sent(AUTHORITY_GROUP)
    thread = int(card.params["message_thread_id"])
    assert question[:40] in card.text and "+49 170 1234567" in card.text and "authority" in card.text
    assert card.labels == ["Übernehmen", "An Netzwerkkoordination übergeben", "Schließen"]

    before = len(standin.sent())
    await outsider.presses("Übernehmen")  # not in the team
    refusal = standin.of("answerCallbackQuery")[-1]
    assert refusal.params.get("show_alert") in ("True", "true", True) and "Nur Mitglieder" in refusal.params["text"]
    await settle(bot)
    assert len(standin.sent()) == before and (await table(bot, Ticket))[0].status == "open"

    await officer.presses("Übernehmen")
    await settle(bot)
    assert (await table(bot, Ticket))[0].status == "claimed"
    assert "bearbeitet Ihre Frage jetzt" in standin.sent(employer.chat["id"])[-1].text
    assert "übernommen von Olga" in standin.sent(AUTHORITY_GROUP)[-1].text

    answer_text = "Die Verlängerung ist beantragt; Herr Y bekommt bis Freitag einen Termin."
    await officer.deliver(officer.message(answer_text, message_thread_id=thread, is_topic_message=True))
    await settle(bot)
    relayed = standin.sent(employer.chat["id"])[-1]
    assert answer_text in relayed.text and "— Ausländerbehörde" in relayed.text and "Olga" not in relayed.text
    assert relayed.labels == ["Antworten", "Gelöst, danke"]

    [prompt] = await employer.presses("Antworten")
    assert f"#{ticket.id}" in prompt.text
    [reopened] = await employer.says("Danke! Braucht er dafür seinen Pass?")
    assert "wieder an" in reopened.text
    await settle(bot)
    assert (await table(bot, Ticket))[0].status == "claimed"
    relay_back = standin.sent(AUTHORITY_GROUP)[-2:]
    assert any("Braucht er dafür seinen Pass?" in c.text for c in relay_back)
    assert all(int(c.params["message_thread_id"]) == thread for c in relay_back)  # in the same topic

    await officer.deliver(officer.message("Ja, bitte mitbringen.", message_thread_id=thread, is_topic_message=True))
    await settle(bot)
    [solved] = await employer.presses("Gelöst, danke")
    assert "geschlossen" in solved.text
    final = (await table(bot, Ticket))[0]
    assert (final.status, final.close_reason) == ("closed", "solved")
    [listing] = await employer.says("/tickets")
    assert f"#{ticket.id}" in listing.text and "geschlossen" in listing.text


async def test_hand_over_between_teams_with_a_note(bot, standin, people):
    employer, officer, coordinator = people["employer"], people["officer"], people["coordinator"]
    ticket, _ = await hand_over_to_authority(bot, employer)
    await settle(bot)
    await officer.presses("An Netzwerkkoordination übergeben")
    await settle(bot)
    prompt = standin.sent(AUTHORITY_GROUP)[-1]
    assert "Notiz" in prompt.text
    await officer.deliver(
        officer.message(
            "Es geht eher um Förderung, bitte übernehmen.",
            reply_to_message=prompt.result,
            message_thread_id=prompt.result["message_thread_id"],
            is_topic_message=True,
        )
    )
    await settle(bot)
    [moved] = await table(bot, Ticket)
    assert (moved.team, moved.status) == ("coordinator", "open")
    [card] = standin.sent(COORDINATOR_GROUP)
    assert "Es geht eher um Förderung" in card.text and card.labels[0] == "Claim"
    assert "Netzwerkkoordination" in standin.sent(employer.chat["id"])[-1].text  # the employer knows who answers

    await coordinator.deliver(
        coordinator.message("Das Jobcenter fördert das, Details per Telefon.", reply_to_message=card.result)
    )
    await settle(bot)
    relayed = standin.sent(employer.chat["id"])[-1]
    assert "Details per Telefon" in relayed.text and "— Netzwerkkoordination" in relayed.text
    assert (await table(bot, Ticket))[0].claimed_by == str(COORDINATOR_STAFF)


async def test_non_member_reply_is_refused_and_not_relayed(bot, standin, people):
    employer, outsider = people["employer"], people["outsider"]
    await hand_over_to_authority(bot, employer)
    await settle(bot)
    [card] = standin.sent(AUTHORITY_GROUP)
    to_employer = len(standin.sent(employer.chat["id"]))
    await outsider.deliver(
        outsider.message(
            "Ich antworte einfach mal", message_thread_id=int(card.params["message_thread_id"]), is_topic_message=True
        )
    )
    await settle(bot)
    assert "Nur Mitglieder" in standin.sent(AUTHORITY_GROUP)[-1].text
    assert len(standin.sent(employer.chat["id"])) == to_employer
    assert not await table(bot, TicketMessage, TicketMessage.author == "staff")


async def test_redelivered_updates_make_one_ticket_and_one_answer(bot, standin, people):
    employer, officer = people["employer"], people["officer"]
    _, (_, confirm) = await hand_over_to_authority(bot, employer)
    assert await employer.deliver(confirm) == []  # the consent again: nothing new
    await settle(bot)
    assert len(await table(bot, Ticket)) == 1
    [card] = standin.sent(AUTHORITY_GROUP)
    reply = officer.message("Antwort", message_thread_id=int(card.params["message_thread_id"]), is_topic_message=True)
    await officer.deliver(reply)
    await officer.deliver(reply)
    await settle(bot)
    assert len(await table(bot, TicketMessage, TicketMessage.author == "staff")) == 1
    assert (
        sum("Antwort\n" in c.text or c.text.startswith("<b>Antwort vom") for c in standin.sent(employer.chat["id"]))
        == 1
    )


async def test_cancel_at_a_step_and_state_survives_a_restart(bot, standin, people, config, db_url, shared_core):
    employer = people["employer"]
    question = await pick(bot.core.dialogue, Route.AUTHORITY, GERMAN_CASES)
    await employer.says(question)
    await employer.presses("Ja, weitergeben")
    [state] = await table(bot, ConversationState)
    assert (state.flow, state.step) == ("handover", "company")
    [cancelled] = await employer.says("/cancel")
    assert "nichts weitergegeben" in cancelled.text
    assert not await table(bot, ConversationState) and not await table(bot, Ticket)


@pytest.mark.parametrize("on_delete", ["anonymise", "delete"])
async def test_delete_erases_the_chats_data(bot, standin, people, on_delete):
    employer = people["employer"]
    ticket, _ = await hand_over_to_authority(bot, employer)
    await settle(bot)
    [ask] = await employer.says("/delete")
    assert "(1)" in ask.text and ask.labels == ["Ja, alles löschen", "Abbrechen"]
    [done] = await employer.presses("Ja, alles löschen")
    assert "gelöscht" in done.text
    await settle(bot)

    chat_id = str(employer.chat["id"])
    assert not await table(bot, Chat, Chat.external_id == chat_id)
    assert not await table(bot, DecisionLog)
    assert not await table(bot, ConversationState)
    assert not await table(bot, OutboxMessage, OutboxMessage.chat_id == chat_id, OutboxMessage.status == "pending")
    tickets = await table(bot, Ticket)
    if on_delete == "delete":
        assert tickets == [] and await table(bot, TicketMessage) == []
    else:
        [kept] = tickets
        assert (kept.channel, kept.chat_external_id, kept.contact_value) == (None, None, None)
        assert kept.question == kept.company == "(deleted)" and kept.status == "closed"
        assert {m.text for m in await table(bot, TicketMessage)} == {"(deleted)"}
    assert "vom Arbeitgeber gelöscht" in standin.sent(AUTHORITY_GROUP)[-1].text  # the team sees why
    edited = standin.of("editMessageText")[-1]
    assert "gelöscht" in edited.params["text"] and "Bäckerei" not in edited.params["text"]
