"""Conversations over WhatsApp as transcripts: what the employer sends (signed webhook posts), what
Lotse delivers (calls at the Graph API stand-in), and what ends up in the database."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import select

from bot.db import Chat, DecisionLog, Feedback
from bot.decision import Route
from bot.messages import Button, Reply
from bot.tickets.models import OutboxMessage
from bot.window.models import WhatsAppChat, WhatsAppDelivery
from bot.window.turns import Turn
from handlers.whatsapp.render import reply_json
from tests.conftest import FIXTURES
from tests.whatsapp.conftest import Employer

ANSWERED = ["Was ist eine Blaue Karte?", "What is a Blue Card?", "How do I hire someone with an EU Blue Card?"]
AMBIGUOUS = ["Arbeitserlaubnis", "Förderung", "permit", "Is there funding for language courses?"]
GERMAN_CASES = [
    "Wann bekommt mein Mitarbeiter Herr Yilmaz seine Verlängerung? Sein Titel läuft nächste Woche ab.",
    "Wann wird die Aufenthaltserlaubnis meines Mitarbeiters verlängert? Aktenzeichen 4711.",
]


async def pick(lotse, route: Route, questions: list[str], min_candidates: int = 0) -> str:
    """The first question the current FAQ routes as wanted: the FAQ changes, the flows must not."""
    dialogue = lotse.whatsapp.webhook.dialogue
    for question in questions:
        decision = (await dialogue.understand(question)).decision
        if decision.route is route and len(decision.candidates) >= min_candidates:
            return question
    pytest.fail(f"none of {questions} is routed to {route} any more; add a question that is")


async def rows(lotse, model, *where) -> list:
    async with lotse.database.read() as session:
        return list((await session.execute(select(model).where(*where))).scalars())


async def test_question_answer_with_buttons_tap_and_reply(lotse, anna):
    question = await pick(lotse, Route.ANSWER, ANSWERED)
    calls = await anna.says(question)
    # As few messages as fit: the bot notice and the answer (bold title, sources, italic footer) as text
    # up to the interactive body's 1024 characters, the rest with the choices.
    assert 1 <= len(calls) <= 2 and all(len(c.text) <= 1024 for c in calls if c.type == "interactive")
    answer = calls[-1]
    assert answer.type == "interactive" and all(c.body["to"] == anna.phone for c in calls)
    body = "\n\n".join(c.text for c in calls)
    assert body.startswith("Hinweis: Lotse ist ein automatischer Assistent") and "/privacy" in body
    assert "\n*" in body and "https://" in body and "\n_" in body and "<" not in body
    assert {"👍", "👎"} <= set(answer.choices) and any("Person" in c or "person" in c for c in answer.choices)

    [thanks] = await anna.taps("👍")
    assert thanks.type == "text" and thanks.text  # every tap gets a visible reply
    assert "Hinweis" not in thanks.text  # the notice only once

    [chat] = await rows(lotse, Chat, Chat.channel == "whatsapp")
    assert chat.external_id == anna.user_id
    [decision] = await rows(lotse, DecisionLog, DecisionLog.chat_id == chat.id)
    [feedback] = await rows(lotse, Feedback, Feedback.chat_id == chat.id)
    assert decision.question == question and (feedback.helpful, feedback.decision_id) == (True, decision.id)
    # Delivered rows are recorded with their wamids; statuses arrive later and out of order.
    [window] = await rows(lotse, WhatsAppChat)
    assert window.phone == anna.phone and window.last_inbound_at == lotse.clock().replace(microsecond=0)
    assert len(await rows(lotse, WhatsAppDelivery)) == len(calls) + 1


async def test_clarification_list_choice_answer(lotse, anna):
    question = await pick(lotse, Route.CLARIFY, AMBIGUOUS, min_candidates=2)
    await anna.says("Hallo")
    [clarification] = await anna.says(question)
    assert clarification.type == "interactive"
    topics = [title for title, payload in clarification.choices.items() if payload.startswith("faq:")]
    assert len(topics) >= 2
    if len(clarification.choices) > 3:
        assert clarification.body["interactive"]["type"] == "list"
    first, *_, answer = await anna.taps(topics[0])
    assert first.text.startswith("*") and "👍" in answer.choices


async def test_more_than_ten_choices_are_numbered_and_typed_numbers_work(lotse, anna):
    many = Reply(
        "Welches Thema?",
        buttons=tuple((Button(f"Thema {n}", f"area:x{n}"),) for n in range(9))
        + ((Button("Eins", "lang:en"),), (Button("Zwei", "lang:de"),)),
    )
    await lotse.whatsapp.window.take(Turn(anna.user_id, anna.phone, lotse.clock(), [reply_json(many)], "de"))
    await lotse.drain()
    [numbered] = anna.sent()
    assert numbered.type == "text" and "10. Eins" in numbered.text and "Antworten Sie mit 1–11." in numbered.text
    [switched] = await anna.says("10")
    assert switched.text == "I will answer in English now."


async def test_media_gets_a_please_type_hint_and_nothing_is_fetched(lotse, anna, standin):
    [hint] = await anna.deliver(
        anna.envelope(anna.message("image", {"image": {"id": "1479537139650973", "mime_type": "image/jpeg"}}))
    )
    assert "schreiben Sie Ihre Frage" in hint.text
    assert all(c.body.get("type") != "media" for c in standin.calls)


async def test_bad_or_missing_signature_processes_nothing(lotse, anna, standin):
    body = anna.text("Brauche ich eine Arbeitserlaubnis?")
    assert await lotse.post(body, signature=None) == 401
    assert await lotse.post(body, signature="sha256=" + "0" * 64) == 403
    assert await lotse.post(b"{not json", signature="sign") == 400
    await lotse.drain()
    assert standin.calls == [] and await rows(lotse, WhatsAppChat) == [] and await rows(lotse, OutboxMessage) == []
    async with lotse.http.get(
        lotse.url,
        params={"hub.mode": "subscribe", "hub.verify_token": "test-verify-token", "hub.challenge": "1158201444"},
    ) as response:
        assert (response.status, await response.text()) == (200, "1158201444")
    async with lotse.http.get(
        lotse.url, params={"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"}
    ) as response:
        assert response.status == 403


async def test_umlauts_and_emoji_verify_over_the_raw_bytes(lotse, anna):
    [reply] = await anna.says("Grüße aus Köln 🙂 – brauche ich für Geflüchtete eine Arbeitserlaubnis?")
    assert reply.text


async def test_same_wamid_twice_and_concurrently_gets_one_reply(lotse, anna):
    body = anna.text("Brauche ich eine Arbeitserlaubnis?")
    statuses = await asyncio.gather(*(lotse.post(body) for _ in range(4)))
    assert statuses == [200] * 4
    assert await lotse.post(body) == 200
    await lotse.drain()
    assert len(anna.sent()) == 1
    assert len(await rows(lotse, OutboxMessage)) == 1


async def test_a_batch_of_two_users_is_answered_both(lotse, anna):
    carla = Employer(lotse, "DE.55555555555555555555", None, "Carla")
    body = anna.text("Brauche ich eine Arbeitserlaubnis?")
    body["entry"] += carla.text("Welche Förderung gibt es?")["entry"]
    assert await lotse.post(body) == 200
    await lotse.drain()
    assert len(anna.sent()) == 1
    [to_carla] = carla.sent()
    assert to_carla.body["recipient"] == carla.user_id and "to" not in to_carla.body  # no phone: the user id


@pytest.mark.parametrize(
    ("fixture", "answered"),
    [
        ("text.json", 1),
        ("button_reply.json", 1),
        ("list_reply.json", 1),
        ("template_button.json", 1),
        ("image.json", 1),
        ("no_phone.json", 1),
        ("two_users.json", 2),
        ("statuses.json", 0),
        ("failed_131047.json", 0),
    ],
)
async def test_recorded_bodies_signed_with_the_test_secret(lotse, standin, fixture, answered):
    """Each recorded body, re-stamped with the clock's now and signed as Meta would: messages are
    answered (every tap visibly), statuses never are."""
    raw = (FIXTURES / "whatsapp" / fixture).read_text(encoding="utf-8")
    raw = re.sub(r'"timestamp": "\d+"', f'"timestamp": "{int(lotse.clock().timestamp())}"', raw)
    assert await lotse.post(raw.encode()) == 200
    assert await lotse.post(raw.encode()) == 200  # Meta's retry: nothing twice
    await lotse.drain()
    assert len({c.recipient for c in standin.accepted()}) == answered
    assert [row.status for row in await rows(lotse, OutboxMessage)] == ["sent"] * answered  # one turn each


async def test_a_slow_answer_does_not_keep_meta_waiting(lotse, anna, monkeypatch):
    """The webhook answers by answer_within_seconds; the reply follows when it is ready."""
    webhook = lotse.whatsapp.webhook
    webhook.settings = webhook.settings.model_copy(update={"answer_within_seconds": 0.05})
    release = asyncio.Event()
    original = webhook.dialogue.handle

    async def slow(message):
        await release.wait()
        return await original(message)

    monkeypatch.setattr(webhook.dialogue, "handle", slow)
    assert await lotse.post(anna.text("Hallo")) == 200
    release.set()
    await webhook.drain()
    await lotse.drain()
    assert len(anna.sent()) == 1
