"""Tidy staff groups: a closed ticket's topic is closed and renamed "#N ✓", its card loses its buttons;
reopened, both come back; after /delete the topic keeps only "#N". Over the real webhook, outbox and
the Bot API stand-in."""

from __future__ import annotations

from bot.tickets.models import OutboxMessage, Ticket
from tests.tickets.conftest import AUTHORITY_GROUP, COORDINATOR_GROUP
from tests.tickets.test_telegram_flow import (  # noqa: F401
    bot,
    hand_over_to_authority,
    on_delete,
    people,
    settle,
    standin,
    table,
)


def card_edits(server, chat_id: int, message_id: int) -> list:
    return [c for c in server.of("editMessageText", chat_id) if int(c.params["message_id"]) == message_id]


async def test_closing_closes_and_renames_the_topic_and_reopening_restores_it(bot, standin, people):  # noqa: F811
    employer, officer = people["employer"], people["officer"]
    ticket, _ = await hand_over_to_authority(bot, employer)
    await settle(bot)
    [card] = standin.sent(AUTHORITY_GROUP)
    thread, card_id = int(card.params["message_thread_id"]), card.result["message_id"]
    name = standin.topics[thread]["name"]
    assert name == f"#{ticket.id} Bäckerei Beispiel GmbH"

    await officer.deliver(
        officer.message("Bitte bringen Sie den Pass mit.", message_thread_id=thread, is_topic_message=True)
    )
    await settle(bot)
    await officer.presses("Schließen")
    await settle(bot)
    assert standin.topics[thread] == {"chat_id": AUTHORITY_GROUP, "name": f"#{ticket.id} ✓", "closed": True}
    [closed_card] = card_edits(standin, AUTHORITY_GROUP, card_id)
    assert "Geschlossen" in closed_card.params["text"] and not closed_card.buttons  # no more Claim/Close

    await employer.presses("Antworten")
    [reopened] = await employer.says("Und was ist mit dem Visum?")
    assert "wieder an" in reopened.text
    await settle(bot)
    assert (await table(bot, Ticket))[0].status == "claimed"
    assert standin.topics[thread] == {"chat_id": AUTHORITY_GROUP, "name": name, "closed": False}
    restored = card_edits(standin, AUTHORITY_GROUP, card_id)[-1]
    assert "Geschlossen" not in restored.params["text"] and "Schließen" in [
        b["text"] for row in restored.buttons for b in row
    ]


async def test_solved_by_the_employer_then_deleted_topic_keeps_only_the_number(bot, standin, people):  # noqa: F811
    employer, officer = people["employer"], people["officer"]
    ticket, _ = await hand_over_to_authority(bot, employer)
    await settle(bot)
    thread = int(standin.sent(AUTHORITY_GROUP)[0].params["message_thread_id"])
    await officer.deliver(officer.message("Erledigt.", message_thread_id=thread, is_topic_message=True))
    await settle(bot)
    await employer.presses("Gelöst, danke")
    await settle(bot)
    assert standin.topics[thread]["name"] == f"#{ticket.id} ✓" and standin.topics[thread]["closed"]

    await employer.says("/delete")
    await employer.presses("Ja, alles löschen")
    await settle(bot)
    assert standin.topics[thread] == {"chat_id": AUTHORITY_GROUP, "name": f"#{ticket.id}", "closed": True}
    assert not [row for row in await table(bot, OutboxMessage) if row.status == "failed"]  # closing twice is no error


async def test_a_card_in_a_plain_group_shows_closed_without_buttons(bot, standin, people):  # noqa: F811
    employer, officer, coordinator = people["employer"], people["officer"], people["coordinator"]
    await hand_over_to_authority(bot, employer)
    await settle(bot)
    await officer.presses("An Netzwerkkoordination übergeben")
    await settle(bot)
    await officer.presses("Ohne Notiz übergeben")
    await settle(bot)
    [card] = standin.sent(COORDINATOR_GROUP)
    assert card.labels[0] == "Claim"

    await coordinator.presses("Close")
    await settle(bot)
    [edited] = card_edits(standin, COORDINATOR_GROUP, card.result["message_id"])
    assert edited.params["text"].rstrip().endswith("Closed.</i>") and not edited.buttons
    assert not standin.of("closeForumTopic", COORDINATOR_GROUP)  # no topics in a plain group
    assert not [row for row in await table(bot, OutboxMessage) if row.status == "failed"]
