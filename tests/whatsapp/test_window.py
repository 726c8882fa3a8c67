"""The 24-hour window end to end: hand-over with permission to notify, team answers inside and after
the window, the template and its "Antwort anzeigen" tap, 131047 converted once, STOP, reminders."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.decision import Route
from bot.tickets.models import FAILED, PENDING, SENT, OutboxMessage, Ticket
from bot.window.models import WhatsAppChat
from bot.window.view import ticket_window
from tests.whatsapp.test_transcripts import GERMAN_CASES, pick, rows


async def hand_over(lotse, anna, notify: bool | None = True) -> Ticket:
    """The employer's side up to the ticket and the notify question: question, confirm, company,
    "only here in the chat", consent to pass it on, then "may we notify you?"."""
    question = await pick(lotse, Route.AUTHORITY, GERMAN_CASES)
    [offer] = await anna.says(question)
    assert "Ausländerbehörde" in offer.text and list(offer.choices) == ["Ja, weitergeben", "Nein, danke"]
    [company] = await anna.taps("Ja, weitergeben")
    assert company.text == "Wie heißt Ihr Unternehmen?" and list(company.choices) == ["Abbrechen"]
    [contact] = await anna.says("Bäckerei *Beispiel* GmbH")
    assert contact.body["interactive"]["type"] == "list"  # four choices: a list
    assert list(contact.choices) == ["Nur hier im Chat", "Telefon", "E-Mail", "Abbrechen"]
    [consent] = await anna.taps("Nur hier im Chat")
    assert list(consent.choices) == ["Ja, einverstanden", "Nein, danke"]
    [opened] = await anna.taps("Ja, einverstanden")
    [ticket] = await rows(lotse, Ticket)
    # One message: the ticket is opened, and the WhatsApp-only question comes with it.
    assert f"#{ticket.id}" in opened.text and "benachrichtigen" in opened.text
    assert list(opened.choices) == ["Ja, benachrichtigen", "Nein"]
    if notify is not None:
        [answered] = await anna.taps("Ja, benachrichtigen" if notify else "Nein")
        assert ("Bescheid" in answered.text) is notify
    return ticket


async def test_hand_over_with_permission_team_answer_inside_the_window_is_delivered(lotse, anna):
    ticket = await hand_over(lotse, anna)
    [chat] = await rows(lotse, WhatsAppChat)
    assert chat.notify_consent is True and chat.consent_version == lotse.config.whatsapp.consent_version
    assert chat.consent_at == lotse.clock()
    assert ticket.company == "Bäckerei *Beispiel* GmbH"  # stored as written ...
    lotse.clock.advance(hours=3)
    await lotse.answer(ticket.id, "Die Verlängerung beantragen Sie *vor* Ablauf_des_Titels.")
    await lotse.drain()
    [answer] = anna.sent()[-1:]
    assert answer.type == "interactive" and "Die Verlängerung beantragen Sie ∗vor∗ Ablauf＿des＿Titels." in answer.text
    assert set(answer.choices) == {"Antworten", "Gelöst, danke"}  # ... and shown without formatting


async def test_late_answer_goes_as_template_and_is_delivered_in_order_on_tap(lotse, anna, standin):
    ticket = await hand_over(lotse, anna)
    before = len(anna.sent())
    lotse.clock.advance(hours=23, minutes=55)  # inside 24 h, but within the margin
    await lotse.answer(ticket.id, "Erste Antwort.")
    await lotse.answer(ticket.id, "Zweite Antwort.")
    await lotse.drain()
    [template] = anna.sent()[before:]
    assert template.type == "template"
    assert template.body["template"]["name"] == "lotse_antwort_bereit"
    assert template.body["template"]["components"][0]["parameters"][0]["text"] == f"#{ticket.id}"
    pending = await rows(lotse, OutboxMessage, OutboxMessage.status == PENDING)
    assert [row.purpose for row in pending] == ["answer", "answer"]  # both wait, in order
    lotse.clock.advance(hours=30)  # the hold runs out: no second template
    await lotse.drain()
    assert len(anna.sent()) == before + 1

    first, second = await anna.taps_template()
    assert "Erste Antwort." in first.text and "Zweite Antwort." in second.text
    assert await rows(lotse, OutboxMessage, OutboxMessage.status == PENDING) == []


async def test_without_permission_the_answer_waits_and_the_console_says_so(lotse, anna, standin):
    ticket = await hand_over(lotse, anna, notify=False)
    before = len(standin.calls)
    lotse.clock.advance(hours=25)
    await lotse.answer(ticket.id, "Antwort nach Feierabend.")
    await lotse.drain()
    assert len(standin.calls) == before  # nothing sent, nothing lost
    state = await ticket_window(lotse.whatsapp.window, ticket)
    assert state.waiting and state.must_write_again and state.open_until is None and state.consent is False
    assert state.contact is None  # only via the chat
    [row] = await rows(lotse, OutboxMessage, OutboxMessage.purpose == "answer")
    assert state.deliveries[row.id].label == "waiting" and state.messages

    answer, reply = await anna.says("Hallo, gibt es schon etwas Neues?")  # writes again: released first
    assert "Antwort nach Feierabend." in answer.text and "Antwort nach Feierabend." not in reply.text
    assert (await ticket_window(lotse.whatsapp.window, ticket)).waiting is False


async def test_a_free_form_131047_goes_the_template_way_once(lotse, anna, standin):
    ticket = await hand_over(lotse, anna)
    standin.fail_next(131047, later=True)
    await lotse.answer(ticket.id, "Antwort, die Meta nicht zustellt.")
    await lotse.drain()
    sent, _code = standin.pending_failures.pop(0)
    assert (await rows(lotse, OutboxMessage, OutboxMessage.purpose == "answer"))[0].status == SENT
    assert await lotse.post(failed_status(sent.wamid, anna.user_id, 131047, lotse.clock())) == 200
    assert await lotse.post(failed_status(sent.wamid, anna.user_id, 131047, lotse.clock())) == 200  # Meta's duplicate
    await lotse.drain()
    templates = [c for c in anna.sent() if c.type == "template"]
    assert len(templates) == 1
    [row] = await rows(lotse, OutboxMessage, OutboxMessage.purpose == "answer")
    assert row.status == PENDING

    standin.fail_next(131047, later=True)
    lotse.clock.advance(minutes=5)
    first, *_ = await anna.taps_template()
    assert "Antwort, die Meta nicht zustellt." in first.text
    again = failed_status(first.wamid, anna.user_id, 131047, lotse.clock())
    assert await lotse.post(again) == 200  # a second 131047: now it fails
    [row] = await rows(lotse, OutboxMessage, OutboxMessage.purpose == "answer")
    assert row.status == FAILED and row.last_error.startswith("131047")


async def test_stop_revokes_the_permission(lotse, anna):
    ticket = await hand_over(lotse, anna)
    [stopped] = await anna.says("STOP")
    assert "keine Benachrichtigungen" in stopped.text
    [chat] = await rows(lotse, WhatsAppChat)
    assert chat.notify_consent is False
    lotse.clock.advance(hours=25)
    before = len(anna.sent())
    await lotse.answer(ticket.id, "Später.")
    await lotse.drain()
    assert len(anna.sent()) == before


async def test_reminders_go_only_inside_the_window(lotse, anna):
    await hand_over(lotse, anna)
    lotse.clock.advance(hours=49)
    told = await lotse.desk.service.tell_waiting_employers(timedelta(hours=48))
    assert told
    before = len(anna.sent())
    await lotse.drain()
    assert len(anna.sent()) == before
    [row] = await rows(lotse, OutboxMessage, OutboxMessage.purpose == "waiting")
    assert row.status == FAILED and "window is closed" in row.last_error


def failed_status(wamid: str, user_id: str, code: int, at=None) -> dict:
    stamp = str(int(at.timestamp())) if at else "1796205700"
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "1",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"phone_number_id": "106540352242922"},
                            "statuses": [
                                {
                                    "id": wamid,
                                    "status": "failed",
                                    "timestamp": stamp,
                                    "recipient_user_id": user_id,
                                    "errors": [
                                        {
                                            "code": code,
                                            "title": "Re-engagement message",
                                            "error_data": {"details": "more than 24 hours have passed"},
                                        }
                                    ],
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


async def test_statuses_out_of_order_end_in_the_latest_state(lotse, anna):
    [reply] = await anna.says("Hallo")
    body = failed_status(reply.wamid, anna.user_id, 0)
    value = body["entry"][0]["changes"][0]["value"]
    value["statuses"] = [
        {"id": reply.wamid, "status": s, "timestamp": "1796205700"} for s in ("read", "sent", "delivered")
    ]
    assert await lotse.post(body) == 200
    async with lotse.database.read() as session:
        from bot.window.models import WhatsAppDelivery

        delivery = (
            await session.execute(select(WhatsAppDelivery).where(WhatsAppDelivery.wamid == reply.wamid))
        ).scalar_one()
    assert delivery.status == "read"


async def test_a_paused_template_leaves_the_answer_waiting_for_the_employer(lotse, anna, standin):
    ticket = await hand_over(lotse, anna)
    standin.paused_templates.add(lotse.config.whatsapp.template.name)
    lotse.clock.advance(hours=25)
    await lotse.answer(ticket.id, "Antwort nach dem Fenster.")
    await lotse.drain()
    assert [c.error for c in standin.calls[-1:]] == [132015]
    state = await ticket_window(lotse.whatsapp.window, ticket)
    assert state.waiting and state.must_write_again


async def test_a_template_that_fails_later_leaves_the_answer_waiting_for_the_employer(lotse, anna, standin):
    ticket = await hand_over(lotse, anna)
    lotse.clock.advance(hours=25)
    standin.fail_next(131026, later=True)
    await lotse.answer(ticket.id, "Antwort nach dem Fenster.")
    await lotse.drain()
    template, _code = standin.pending_failures.pop(0)
    assert template.type == "template"
    assert not (await ticket_window(lotse.whatsapp.window, ticket)).must_write_again  # waits for the tap
    assert await lotse.post(failed_status(template.wamid, anna.user_id, 131026, lotse.clock())) == 200
    state = await ticket_window(lotse.whatsapp.window, ticket)
    assert state.waiting and state.must_write_again
