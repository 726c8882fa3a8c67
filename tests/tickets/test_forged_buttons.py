"""Forged button data on Telegram: bounded numbers, and one answer for every ticket that is not the
presser's (none, out of range, another team's), so a button reveals nothing. The webhook refuses
deeply nested JSON with 400."""

from __future__ import annotations

import copy

import pytest

from bot.texts import t
from bot.tickets.models import Ticket
from handlers.webhook import SECRET_HEADER
from tests.telegram.conftest import BOT_USER, SECRET
from tests.tickets.conftest import AUTHORITY_GROUP
from tests.tickets.test_telegram_flow import (  # noqa: F401
    bot,
    hand_over_to_authority,
    on_delete,
    people,
    settle,
    standin,
    table,
)


def forged(person, data: str, chat: dict) -> dict:
    message = {"message_id": 4711, "date": 1763800000, "chat": chat, "from": BOT_USER, "text": "Karte"}
    return {
        "update_id": next(person._ids),
        "callback_query": {
            "id": f"cbq{next(person._ids)}",
            "chat_instance": "-1",
            "from": person.user,
            "data": data,
            "message": copy.deepcopy(message),
        },
    }


async def test_forged_staff_buttons_are_answered_alike(bot, standin, people):  # noqa: F811
    employer, coordinator = people["employer"], people["coordinator"]
    ticket, _ = await hand_over_to_authority(bot, employer)  # the authority's ticket
    await settle(bot)
    chat = coordinator.chat
    answers = []
    for data in (
        f"st:{ticket.id}:claim",
        "st:99999999999999999999:solved",
        "st:2147483648:claim",
        f"st:{ticket.id + 50}:close",
        f"st:{ticket.id}:handover_now",
    ):
        await coordinator.post(forged(coordinator, data, chat))
        answers.append(standin.of("answerCallbackQuery")[-1].params.get("text"))
    assert len(set(answers)) == 1 and answers[0] == t("st_button_refused", "en")
    assert "authority" not in answers[0].lower() and "Ausländer" not in answers[0]
    [unchanged] = await table(bot, Ticket)
    assert (unchanged.status, unchanged.team) == ("open", "authority")


async def test_employers_ticket_button_with_a_huge_number(bot, standin, people):  # noqa: F811
    employer = people["employer"]
    await employer.post(forged(employer, "tk:99999999999999999999:solved", employer.chat))
    [reply] = standin.sent(employer.chat["id"])[-1:]
    assert reply.text == t("unknown_button", "de")


@pytest.mark.parametrize("depth", [100, 5000])
async def test_webhook_refuses_deeply_nested_json(bot, standin, people, depth):  # noqa: F811
    employer = people["employer"]
    body = '{"update_id": 1, "message": ' + "[" * depth + "]" * depth + "}"
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    async with employer.http.post(employer.webhook, data=body.encode(), headers=headers) as response:
        assert response.status == 400
    assert AUTHORITY_GROUP not in [c.chat_id for c in standin.sent()]
