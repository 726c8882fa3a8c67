"""The bad-input corpus (tests/data/bad_input/) through the WhatsApp webhook, signed as Meta would:
each message is answered or refused with a clean 4xx; no control characters reach the database;
no traceback in the log."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import select

from bot.db import DecisionLog
from tests.bad_input import as_bytes, has_controls, items, names, tracebacks

TEXTS, PAYLOADS, BODIES = (dict(items(kind)) for kind in ("text", "payload", "body"))


@pytest.mark.parametrize("name", names("text"))
async def test_bad_text(lotse, anna, name, caplog):
    caplog.set_level(logging.INFO)
    text = TEXTS[name]
    raw = json.dumps(anna.text(text)).encode()  # \u escapes, as Meta sends non-ASCII [I5]
    status = await lotse.post(raw)
    await lotse.drain()
    if len(raw) > lotse.config.whatsapp.max_body_bytes:
        assert status == 413
    else:
        assert status == 200, name
        if text.strip("\x00\x01\x02\x1b\x7f \n\t"):
            assert anna.sent(), name
    assert tracebacks(caplog.records) == []
    async with lotse.database.read() as session:
        questions = list((await session.execute(select(DecisionLog.question))).scalars())
    assert not [q[:80] for q in questions if has_controls(q)]


@pytest.mark.parametrize("name", names("payload"))
async def test_forged_button_ids_get_a_visible_reply(lotse, anna, name, caplog):
    caplog.set_level(logging.INFO)
    reply = {"id": PAYLOADS[name] or "x", "title": "Ja"}
    body = anna.envelope(anna.message("interactive", {"interactive": {"type": "button_reply", "button_reply": reply}}))
    raw = json.dumps(body).encode()
    assert await lotse.post(raw) == 200, name
    await lotse.drain()
    assert anna.sent() and anna.sent()[-1].text, name  # every tap gets a visible reply
    assert tracebacks(caplog.records) == []


@pytest.mark.parametrize("name", names("body"))
async def test_bad_body_is_a_clean_4xx(lotse, name, caplog):
    caplog.set_level(logging.INFO)
    status = await lotse.post(as_bytes(BODIES[name]))
    assert status == 400 or (name == "text_is_object" and status == 200), (name, status)  # an object: nothing in it
    assert tracebacks(caplog.records) == []


@pytest.mark.parametrize("broken", ["entry", "changes", "messages", "statuses", "contacts"])
async def test_a_list_that_is_a_number_is_ignored_and_a_good_message_beside_it_answered(lotse, anna, broken, caplog):
    """Signed bodies whose lists are numbers were a TypeError, a 500 Meta redelivers for days."""
    caplog.set_level(logging.INFO)
    alone = {"entry": 7} if broken == "entry" else {"entry": [{"changes": 7}]} if broken == "changes" else None
    if alone is None:
        alone = {"entry": [{"changes": [{"field": "messages", "value": {broken: 7}}]}]}
    assert await lotse.post(alone) == 200
    if broken in ("statuses", "contacts"):  # the value's other parts still count: the question is answered
        body = anna.text("Darf jemand mit Duldung bei uns arbeiten?")
        body["entry"][0]["changes"][0]["value"][broken] = 7
        assert await lotse.post(body) == 200
        await lotse.drain()
        assert "Duldung" in anna.sent()[-1].text
    assert tracebacks(caplog.records) == []


@pytest.mark.parametrize(
    "interactive",
    [
        {"type": "nfm_reply", "nfm_reply": {"name": "flow", "body": "Sent", "response_json": "{}"}},
        {"type": "button_reply", "button_reply": {"title": "Ja"}},  # no id
        {"type": "list_reply", "list_reply": "Arbeitserlaubnis"},
    ],
)
async def test_a_tap_lotse_cannot_read_gets_a_visible_reply(lotse, anna, interactive, caplog):
    """Found in the QA pass: these taps were dropped, and the employer saw nothing happen."""
    caplog.set_level(logging.INFO)
    await anna.says("Hallo")
    [reply] = await anna.deliver(anna.envelope(anna.message("interactive", {"interactive": interactive})))
    assert "Dieser Knopf ist nicht mehr gültig" in reply.text
    assert tracebacks(caplog.records) == []
