"""The bad-input corpus (tests/data/bad_input/) through the Telegram webhook with the right secret:
each update is answered (a reply, or an answered button) or refused with a clean 4xx; no control
characters reach the database; no traceback in the log."""

from __future__ import annotations

import io
import json
import logging

import pytest
from sqlalchemy import select

from bot.db import DecisionLog
from handlers.webhook import SECRET_HEADER
from tests.bad_input import MEDIA, as_bytes, has_controls, items, names, tracebacks
from tests.telegram.conftest import BOT_USER, SECRET

TEXTS, PAYLOADS, BODIES = (dict(items(kind)) for kind in ("text", "payload", "body"))
FILE = {"file_id": "AgACAgIAAx0", "file_unique_id": "AQADuMQ"}
MEDIA_FIELDS = {
    "photo": [FILE | {"width": 90, "height": 90}],
    "voice": FILE | {"duration": 3},
    "sticker": FILE | {"type": "regular", "width": 512, "height": 512, "is_animated": False, "is_video": False},
    "document": FILE | {"file_name": "a.pdf"},
    "location": {"latitude": 52.52, "longitude": 13.40},
    "video": FILE | {"width": 1, "height": 1, "duration": 1},
    "video_note": FILE | {"length": 1, "duration": 1},
    "audio": FILE | {"duration": 1},
    "animation": FILE | {"width": 1, "height": 1, "duration": 1},
    "contact": {"phone_number": "+491701234567", "first_name": "Eve"},
    "venue": {"location": {"latitude": 52.5, "longitude": 13.4}, "title": "Amt", "address": "Str. 1"},
    "poll": {
        "id": "1",
        "question": "?",
        "options": [{"text": "a", "voter_count": 0, "persistent_id": "o1"}],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
        "allows_revoting": False,
        "members_only": False,
    },
    "dice": {"emoji": "🎲", "value": 3},
    # forwarded, or sent through another bot: these were answered with silence
    "story": {"chat": {"id": -100999, "type": "channel", "title": "Kanal"}, "id": 1},
    "game": {"title": "Spiel", "description": "?", "photo": []},
    "giveaway": {"chats": [], "winners_selection_date": 1763900000, "winner_count": 1},
    "paid_media": {"star_count": 1, "paid_media": []},
    "checklist": {"title": "Liste", "tasks": []},
}


async def clean_database(bot) -> None:
    async with bot.database.read() as session:
        questions = list((await session.execute(select(DecisionLog.question))).scalars())
    assert not [q[:80] for q in questions if has_controls(q)]


@pytest.mark.parametrize("name", names("text"))
async def test_bad_text(bot, standin, anna, name, caplog):
    caplog.set_level(logging.INFO)
    text = TEXTS[name]
    raw = json.dumps(anna.message(text)).encode()
    before = len(standin.calls)
    async with anna.http.post(
        anna.webhook, data=io.BytesIO(raw), headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    ) as response:
        status = response.status
    replies = [c for c in standin.calls[before:] if c.method == "sendMessage" and c.chat_id == anna.chat["id"]]
    if len(raw) > 1024**2:  # past aiohttp's body limit (Telegram itself sends at most 4096 characters)
        assert status == 413
    elif text.strip("\x00\x01\x02\x1b\x7f"):  # Telegram never sends an empty text; an empty one gets no answer
        assert status == 200 and replies and all(r.status == 200 for r in replies), name
    assert tracebacks(caplog.records) == []
    await clean_database(bot)


@pytest.mark.parametrize("name", names("payload"))
async def test_forged_button_data(bot, standin, anna, name, caplog):
    caplog.set_level(logging.INFO)
    await anna.says("/start")
    message = standin.sent(anna.chat["id"])[-1].result
    update = {
        "update_id": next(anna._ids),
        "callback_query": {
            "id": f"cbq{next(anna._ids)}",
            "chat_instance": "-1",
            "from": anna.user,
            "data": PAYLOADS[name],
            "message": message | {"from": BOT_USER},
        },
    }
    before = len(standin.calls)
    assert await anna.post(update) == 200
    new = standin.calls[before:]
    assert any(c.method == "answerCallbackQuery" for c in new) or any(c.method == "sendMessage" for c in new), name
    assert tracebacks(caplog.records) == []


@pytest.mark.parametrize("name", names("body"))
async def test_bad_body_is_a_clean_400(bot, anna, name, caplog):
    caplog.set_level(logging.INFO)
    async with anna.http.post(
        anna.webhook, data=as_bytes(BODIES[name]), headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    ) as response:
        assert response.status == 400, name
    assert tracebacks(caplog.records) == []


async def test_forged_secret_is_403(bot, anna, caplog):
    for secret in ("", "A" * 64, SECRET + "x", SECRET[:-1]):
        assert await anna.post(anna.message("Hallo"), secret=secret) == 403
    assert tracebacks(caplog.records) == []


@pytest.mark.parametrize("kind", MEDIA)
async def test_media_of_every_kind_gets_a_reply(bot, standin, anna, kind, caplog):
    caplog.set_level(logging.INFO)
    update = anna.message("")
    del update["message"]["text"]
    update["message"][kind] = MEDIA_FIELDS[kind]
    replies = await anna.deliver(update)
    assert replies and replies[-1].text, kind
    assert tracebacks(caplog.records) == []


async def test_an_album_of_photos_gets_one_reply_not_one_per_photo(bot, standin, anna, caplog):
    """Found in the QA pass: three photos sent together got three identical replies."""
    caplog.set_level(logging.INFO)

    def photo(album: str) -> dict:
        update = anna.message("")
        del update["message"]["text"]
        update["message"] |= {"photo": MEDIA_FIELDS["photo"], "media_group_id": album}
        return update

    replies = [await anna.deliver(photo("13520001")) for _ in range(3)]
    assert [len(r) for r in replies] == [1, 0, 0]
    assert "Bitte schreiben Sie Ihre Frage als Text" in replies[0][0].text
    assert len(await anna.deliver(photo("13520002"))) == 1  # the next album is answered again
    assert len(await anna.deliver(photo(""))) == 1 and len(await anna.deliver(photo(""))) == 1  # single photos too
    assert tracebacks(caplog.records) == []
