"""Conversations with Lotse over the real webhook, read as transcripts: what the employer sends,
what Lotse answers (as delivered to the stand-in Bot API), and what ends up in the database."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.db import Chat, DecisionLog, Feedback
from bot.decision import Route
from tests.telegram.updates import load_update

ANSWERED_EN = ["What is a Blue Card?", "How do I hire someone with an EU Blue Card?"]
AMBIGUOUS = ["Arbeitserlaubnis", "Förderung", "permit", "Is there funding for language courses?"]
INDIVIDUAL_CASES = [
    "When will my employee's residence permit be extended? His case number is 4711.",
    "Wann bekommt mein Mitarbeiter Herr Yilmaz seine Verlängerung? Sein Titel läuft nächste Woche ab.",
]


async def pick(dialogue, route: Route, questions: list[str], min_candidates: int = 0) -> str:
    """The first question the current FAQ routes as wanted: the FAQ changes, the flows must not."""
    for question in questions:
        decision = (await dialogue.understand(question)).decision
        if decision.route is route and len(decision.candidates) >= min_candidates:
            return question
    pytest.fail(f"none of {questions} is routed to {route} any more; add a question that is")


async def rows(bot, model, *where):
    async with bot.database.transaction() as session:
        return (await session.execute(select(model).where(*where))).scalars().all()


async def test_start_language_question_answer_and_thumbs_up(anna, bot, standin):
    greeting, privacy = await anna.says("/start")
    assert "Lotse" in greeting.text
    assert "/privacy" in privacy.text and privacy.payloads == ["lang:de", "lang:en"]

    [switched] = await anna.presses("English")
    assert switched.text == "I will answer in English now."
    assert standin.of("answerCallbackQuery")
    assert standin.of("editMessageReplyMarkup")[-1].params.get("reply_markup") is None  # the choice is gone

    question = await pick(bot.core.dialogue, Route.ANSWER, ANSWERED_EN)
    [answer] = await anna.says(question)
    assert answer.params["parse_mode"] == "HTML"
    assert answer.text.startswith("<b>") and "Last reviewed:" in answer.text and '<a href="http' in answer.text
    assert {"👍", "👎", "Ask a person"} <= set(answer.labels)

    [thanks] = await anna.presses("👍")
    assert thanks.text == "Thank you for your feedback!"
    edited = standin.of("editMessageReplyMarkup")[-1]
    assert "👍" not in [b["text"] for row in edited.params["reply_markup"]["inline_keyboard"] for b in row]

    [chat] = await rows(bot, Chat, Chat.external_id == "111")
    assert chat.language == "en"
    [decision] = await rows(bot, DecisionLog, DecisionLog.chat_id == chat.id)
    assert (decision.question, decision.route, decision.lang) == (question, "answer", "en")
    assert decision.faq_id and decision.reason and decision.confidence > 0
    [feedback] = await rows(bot, Feedback, Feedback.chat_id == chat.id)
    assert (feedback.helpful, feedback.decision_id, feedback.faq_id) == (True, decision.id, decision.faq_id)


async def test_ambiguous_question_is_clarified_then_answered(anna, bot):
    question = await pick(bot.core.dialogue, Route.CLARIFY, AMBIGUOUS, min_candidates=2)
    [clarification] = await anna.says(question)
    topics = [label for label in clarification.labels if "Person" not in label and "person" not in label]
    assert len(topics) >= 2
    assert all(p.startswith("faq:") for p in clarification.payloads[: len(topics)])

    [answer] = await anna.presses(topics[0])
    assert answer.text.startswith(f"<b>{topics[0]}</b>") or topics[0] in answer.text
    assert "👍" in answer.labels
    [decision] = await rows(bot, DecisionLog)
    assert decision.route == "clarify" and len(decision.candidates) >= 2


async def test_individual_case_gets_an_honest_handover_offer(anna, bot, config):
    question = await pick(bot.core.dialogue, Route.AUTHORITY, INDIVIDUAL_CASES)
    [offer] = await anna.says(question)
    assert config.contacts.authority.email in offer.text  # whom to contact, since Lotse cannot pass it on yet
    [decision] = await rows(bot, DecisionLog)
    assert decision.route == "authority"


@pytest.mark.parametrize("fixture", ["photo", "voice", "sticker", "document", "location"])
async def test_media_gets_a_please_type_hint(anna, fixture):
    [hint] = await anna.deliver(load_update(fixture))
    assert "schreiben Sie Ihre Frage" in hint.text


async def test_edited_question_is_answered_as_a_reply_to_the_edit(anna):
    update = load_update("edited_message")
    [answer] = await anna.deliver(update)
    assert answer.params["reply_parameters"]["message_id"] == update["edited_message"]["message_id"]
    assert await anna.deliver(load_update("edited_command")) == []  # an edited /help is not run again


async def test_html_in_a_question_is_stored_raw_and_never_breaks_a_reply(anna, bot, standin):
    question = 'Darf <b>er</b> <script>alert(1)</script> & "sie" arbeiten? <a href="x">'
    replies = await anna.says(question)
    assert replies  # the stand-in refuses HTML Telegram could not parse: every reply was valid
    assert not [c for c in standin.calls if c.status == 400]
    [decision] = await rows(bot, DecisionLog)
    assert decision.question == question


async def test_redelivered_update_is_answered_once(anna, bot, standin):
    update = anna.message("/help")
    first = await anna.deliver(update)
    again = await anna.deliver(update)
    assert len(first) == 1 and again == []


async def test_empty_and_overlong_messages_get_a_clear_reply(anna, config):
    [empty] = await anna.says("🙂🙂")
    assert "Bitte schreiben Sie Ihre Frage" in empty.text
    [too_long] = await anna.says("Arbeitserlaubnis " * 200)
    assert str(config.chat.max_message_chars) in too_long.text


async def test_unknown_button_still_answers_the_query(anna, standin):
    query = {
        "update_id": 900000001,
        "callback_query": {
            "id": "old-query",
            "chat_instance": "1",
            "from": anna.user,
            "data": "faq:no.such-topic",
            "message": {
                "message_id": 5,
                "date": 1763800000,
                "chat": anna.chat,
                "from": {"id": 123456, "is_bot": True, "first_name": "Lotse"},
            },
        },
    }
    [reply] = await anna.deliver(query)
    assert standin.of("answerCallbackQuery")[-1].params["callback_query_id"] == "old-query"
    assert "nicht mehr gültig" in reply.text
