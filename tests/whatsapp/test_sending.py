"""Sending through the outbox: Meta's error codes become waits, retries or failures; everything
arrives later in order; a console retry really sends again; /delete erases the chat."""

from __future__ import annotations

import logging

from sqlalchemy import select

from bot.db import Chat
from bot.tickets.models import (
    FAILED,
    SENT,
    ConversationState,
    OutboxMessage,
    Ticket,
)
from bot.window.models import WhatsAppChat, WhatsAppDelivery
from bot.window.view import retry, ticket_window
from tests.whatsapp.conftest import Employer
from tests.whatsapp.test_transcripts import rows
from tests.whatsapp.test_window import hand_over


async def test_130429_pauses_the_number_and_131056_the_chat_then_all_arrive_in_order(lotse, anna, standin):
    carla = Employer(lotse, "DE.55555555555555555555", "4917099887766", "Carla")
    await anna.says("Hallo")
    await carla.says("Hallo")
    standin.fail_next(130429)
    assert await anna.says("Erste Frage: Arbeitserlaubnis?") == []
    assert await anna.says("Zweite Frage: Förderung?") == []  # behind the first, in order
    assert await carla.says("Welche Förderung gibt es?") == []  # the whole number waits
    lotse.clock.advance(seconds=lotse.config.whatsapp.rate_limit_pause_seconds + 1)
    await lotse.drain()
    assert len(anna.sent()) == 3 and len(carla.sent()) == 2
    numbers = [int(c.wamid.removeprefix("wamid.TEST")) for c in anna.sent()]
    assert numbers == sorted(numbers)  # in order

    standin.fail_next(131056)
    assert await anna.says("Dritte Frage?") == []
    [to_carla] = await carla.says("Und noch etwas?")  # only Anna's chat waits
    assert to_carla.text
    lotse.clock.advance(seconds=6)
    await lotse.drain()
    assert len(anna.sent()) == 4
    assert [row.status for row in await rows(lotse, OutboxMessage)] == [SENT] * 7


async def test_5xx_is_retried_and_131026_fails_with_its_reason(lotse, anna, standin):
    standin.fail_next(500)
    assert await anna.says("Hallo") == []
    lotse.clock.advance(seconds=5)
    await lotse.drain()
    assert len(anna.sent()) == 1
    standin.fail_next(131026)
    assert await anna.says("Noch eine Frage") == []
    row = (await rows(lotse, OutboxMessage))[-1]
    assert row.status == FAILED and row.last_error.startswith("131026")


async def test_an_expired_token_stops_sending_with_an_alert(lotse, anna, standin, caplog):
    standin.fail_next(190)
    with caplog.at_level(logging.CRITICAL):
        assert await anna.says("Hallo") == []
    assert any("WHATSAPP_ACCESS_TOKEN" in r.message for r in caplog.records if r.levelno == logging.CRITICAL)
    calls = len(standin.calls)
    assert await anna.says("Noch da?") == []
    assert len(standin.calls) == calls  # stopped: nothing tried meanwhile
    lotse.clock.advance(seconds=lotse.config.whatsapp.auth_pause_seconds + 1)
    await lotse.drain()
    assert len(anna.sent()) == 2
    assert [row.status for row in await rows(lotse, OutboxMessage)] == [SENT, SENT]


async def test_console_retry_really_sends_again(lotse, anna, standin):
    ticket = await hand_over(lotse, anna)
    standin.fail_next(131026)
    await lotse.answer(ticket.id, "Die Antwort.")
    await lotse.drain()
    state = await ticket_window(lotse.whatsapp.window, ticket)
    [(row_id, failed)] = [(k, v) for k, v in state.deliveries.items() if v.label == "failed"]
    assert failed.can_retry and failed.detail.startswith("131026")
    assert state.open_until is not None and state.consent is True
    assert await retry(lotse.whatsapp.window, ticket.id, row_id)
    await lotse.drain()
    again = anna.sent()[-1]
    assert "Die Antwort." in again.text and again.wamid
    state = await ticket_window(lotse.whatsapp.window, ticket)
    assert state.deliveries[row_id].label == "accepted"
    assert not await retry(lotse.whatsapp.window, ticket.id + 1, row_id)  # only the ticket's own rows


async def test_delete_erases_the_chat_like_on_the_other_channels(lotse, anna):
    await hand_over(lotse, anna)
    [ask] = await anna.says("/delete")
    assert "Ja, alles löschen" in ask.choices
    assert await anna.taps("Ja, alles löschen") == []
    # The phone number went with the chat: the confirmation is addressed by the user id.
    [done] = lotse.standin.accepted(anna.user_id)
    assert done.text == "Alle Daten dieses Chats sind gelöscht." and "to" not in done.body
    assert await rows(lotse, WhatsAppChat) == [] and await rows(lotse, Chat) == []
    assert await rows(lotse, ConversationState) == []
    [ticket] = await rows(lotse, Ticket)
    assert ticket.channel is None and ticket.company == "(deleted)"
    async with lotse.database.read() as session:
        left = (
            await session.execute(select(WhatsAppDelivery.wamid).where(WhatsAppDelivery.chat_id == anna.user_id))
        ).all()
    assert left == []
