"""Conversion is a table: each recorded update and what the dialogue gets to see of it."""

from __future__ import annotations

import pytest
from telegram import Update, User

from bot.messages import Kind
from handlers.telegram import to_message
from tests.telegram.standin import BOT_USER
from tests.telegram.updates import load_update, names

ME = User(**BOT_USER)
GROUP = "-1001234567890"

# fixture -> (kind, chat_id, text, payload), or None: not for Lotse
EXPECTED = {
    "text": (Kind.TEXT, "111", "Darf ein Geflüchteter mit Duldung bei uns eine Ausbildung machen?", ""),
    "command_start": (Kind.COMMAND, "111", "/start", ""),
    "callback_query": (Kind.BUTTON, "111", "", "lang:en"),
    "edited_message": (Kind.TEXT, "111", "Darf eine Geflüchtete mit Duldung bei uns eine Ausbildung anfangen?", ""),
    "edited_command": None,  # an edited /help is not run a second time
    "photo": (Kind.MEDIA, "111", "Was bedeutet dieser Vermerk?", ""),
    "voice": (Kind.MEDIA, "111", "", ""),
    "sticker": (Kind.MEDIA, "111", "", ""),
    "document": (Kind.MEDIA, "111", "", ""),
    "location": (Kind.MEDIA, "111", "", ""),
    "group_mention": (Kind.TEXT, GROUP, "Can we employ someone with a Duldung as an apprentice?", ""),
    "group_plain": None,  # not addressed to Lotse
    "group_reply_to_bot": (Kind.TEXT, GROUP, "And what about a Blue Card?", ""),
    "group_command": (Kind.COMMAND, GROUP, "/help@lotse_test_bot", ""),
    "group_command_other_bot": None,
    "group_member_joined": None,  # a service message
    "forum_topic_mention": (
        Kind.TEXT,
        "-1009876543210",
        "Frage an : brauchen wir für eine Blaue Karte die Zustimmung der Bundesagentur?",
        "",
    ),
}


def test_every_recorded_update_is_in_the_table():
    assert sorted(EXPECTED) == names()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_conversion(name):
    update = Update.de_json(load_update(name), None)
    message = to_message(update, ME)
    expected = EXPECTED[name]
    if expected is None:
        assert message is None
        return
    assert (message.kind, message.chat_id, message.text, message.payload) == expected
    assert message.channel == "telegram"
    assert message.external_id == str(update.update_id)
    assert message.language_hint in ("de", "en") and message.user_id


def test_mention_by_text_link_counts_as_addressed():
    data = load_update("group_plain")
    data["message"]["text"] = "Lotse, wer hilft bei der Anerkennung?"
    data["message"]["entities"] = [{"offset": 0, "length": 5, "type": "text_mention", "user": BOT_USER}]
    message = to_message(Update.de_json(data, None), ME)
    assert message is not None and message.kind is Kind.TEXT


def test_channel_posts_are_ignored():
    data = {
        "update_id": 1,
        "channel_post": {
            "message_id": 1,
            "date": 1,
            "text": "news",
            "chat": {"id": -100777, "type": "channel", "title": "News"},
        },
    }
    assert to_message(Update.de_json(data, None), ME) is None
