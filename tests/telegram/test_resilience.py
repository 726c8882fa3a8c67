"""Telegram pushing back (429, 5xx), our own failures, floods and groups: the bot stays up and calm."""

from __future__ import annotations

import logging
import time

import pytest

from handlers.telegram_app import running
from tests.telegram.conftest import Employer, telegram_config
from tests.telegram.updates import load_update


async def test_429_is_waited_out_and_the_message_still_delivered(anna, standin):
    standin.fail("sendMessage", 429, times=1, retry_after=1)
    started = time.monotonic()
    [reply] = await anna.says("/help")
    assert time.monotonic() - started >= 1.0
    assert "/topics" in reply.text
    assert [c.status for c in standin.of("sendMessage", ok_only=False)] == [429, 200]


async def test_a_500_for_a_while_is_retried(anna, standin):
    standin.fail("sendMessage", 500, times=2)
    [reply] = await anna.says("/help")
    assert "/topics" in reply.text
    assert [c.status for c in standin.of("sendMessage", ok_only=False)] == [500, 500, 200]


async def test_a_lasting_outage_is_logged_and_the_next_message_answered(anna, standin, caplog):
    standin.fail("sendMessage", 500, times=3)
    assert await anna.says("/help") == []
    assert "update" in caplog.text and "failed" in caplog.text
    [reply] = await anna.says("/help")
    assert "/topics" in reply.text


async def test_our_own_failure_is_apologised_for_and_the_bot_carries_on(anna, bot, monkeypatch, caplog):
    async def broken(message):
        raise RuntimeError("the dialogue fell over")

    monkeypatch.setattr(bot.channel.dialogue, "handle", broken)
    with caplog.at_level(logging.ERROR):
        [apology] = await anna.says("Hallo?")
    assert "etwas schiefgegangen" in apology.text
    assert "the dialogue fell over" in caplog.text
    monkeypatch.undo()
    assert await anna.says("/help")


async def test_a_flooding_chat_gets_one_calm_note_then_silence(config, standin, database_url, shared_core, http):
    settings = telegram_config(config, standin, database_url, flood={"max_messages": 3, "window_seconds": 60})
    async with running(settings, knowledge=shared_core.knowledge) as bot:
        anna = Employer(bot, standin, http)
        answers = [await anna.says("/help") for _ in range(3)]
        assert all(len(a) == 1 for a in answers)
        [note] = await anna.says("/help")
        assert "sehr schnell" in note.text
        assert await anna.says("/help") == []
        bernd = Employer(bot, standin, http, user_id=222, first_name="Bernd")
        assert len(await bernd.says("/help")) == 1  # other chats are not affected


async def test_a_flooding_chat_still_gets_its_button_presses_answered(config, standin, database_url, shared_core, http):
    settings = telegram_config(config, standin, database_url, flood={"max_messages": 1, "window_seconds": 60})
    async with running(settings, knowledge=shared_core.knowledge) as bot:
        anna = Employer(bot, standin, http)
        await anna.says("/lang")
        assert len(await anna.presses("English")) == 1  # the note
        assert len(standin.of("answerCallbackQuery")) == 1


@pytest.mark.parametrize(
    ("fixture", "answered"),
    [
        ("group_mention", True),
        ("group_reply_to_bot", True),
        ("group_command", True),
        ("group_plain", False),
        ("group_command_other_bot", False),
        ("group_member_joined", False),
    ],
)
async def test_in_groups_lotse_answers_only_when_addressed(anna, fixture, answered):
    update = load_update(fixture)
    replies = await anna.deliver(update)
    assert bool(replies) is answered
    if answered:  # in a group the answer quotes the question, so everyone sees whom it answers
        assert replies[0].params["reply_parameters"]["message_id"] == update["message"]["message_id"]
        assert replies[0].chat_id == update["message"]["chat"]["id"]


async def test_in_a_forum_topic_the_answer_stays_in_the_topic(anna):
    [reply] = await anna.deliver(load_update("forum_topic_mention"))
    assert reply.params["message_thread_id"] == "77"


async def test_staff_groups_are_never_flood_limited(config, standin, database_url, shared_core, http):
    group = {"id": -1001234567890, "type": "supergroup", "title": "Ausländerbehörde – Team"}
    teams = {
        name: team.model_copy(update={"telegram_group": group["id"] if name == "authority" else None})
        for name, team in config.tickets.teams.items()
    }
    settings = telegram_config(config, standin, database_url, flood={"max_messages": 1, "window_seconds": 60})
    settings = settings.model_copy(update={"tickets": settings.tickets.model_copy(update={"teams": teams})})
    async with running(settings, knowledge=shared_core.knowledge) as bot:
        assert bot.channel.unlimited_chats == {str(group["id"])}
        olga = Employer(bot, standin, http, user_id=333, first_name="Olga", chat=group)
        for _ in range(3):
            await olga.says("/help@lotse_test_bot")
        assert not [c for c in standin.sent(group["id"]) if "sehr schnell" in c.text]
