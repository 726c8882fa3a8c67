"""Conversion is a table: each recorded webhook body and what the adapter makes of it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.messages import Kind
from handlers.whatsapp.convert import events
from tests.conftest import FIXTURES

ANNA = "DE.13491208655302741918"
AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # 1796119200 in the fixtures


def load(name: str) -> dict:
    return json.loads((FIXTURES / "whatsapp" / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("fixture", "kind", "text", "payload"),
    [
        ("text.json", Kind.TEXT, "Darf ich einen Geflüchteten mit Duldung einstellen? 🙂", ""),
        ("button_reply.json", Kind.BUTTON, "👍", "fb:u:permit.duldung:12"),
        ("list_reply.json", Kind.BUTTON, "Arbeitserlaubnis", "faq:permit.work_permit"),
        ("template_button.json", Kind.BUTTON, "Antwort anzeigen", "show_answer:42"),
        ("image.json", Kind.MEDIA, "", ""),
    ],
)
def test_each_message_type_becomes_one_incoming_message(fixture, kind, text, payload):
    messages, statuses = events(load(fixture))
    assert statuses == []
    [inbound] = messages
    message = inbound.message
    assert (message.channel, message.chat_id, message.user_id) == ("whatsapp", ANNA, ANNA)
    assert (message.kind, message.text, message.payload) == (kind, text, payload)
    assert message.user_name == "Anna Müller" and message.language_hint is None
    assert message.external_id.startswith("wamid.")
    assert inbound.phone == "4915112345678" and inbound.at == AT


def test_media_is_neither_kept_nor_passed_on():
    [inbound] = events(load("image.json"))[0]
    assert inbound.message.text == "" and "1479537139650973" not in repr(inbound)


def test_a_user_without_phone_number_is_keyed_by_the_user_id():
    [inbound] = events(load("no_phone.json"))[0]
    assert inbound.message.chat_id == "DE.98765432109876543210" and inbound.phone is None
    assert inbound.message.user_name == "Bernd" and inbound.message.kind is Kind.TEXT


def test_a_batch_of_two_users_gives_both_messages_in_order():
    messages, _ = events(load("two_users.json"))
    assert [(m.message.chat_id, m.message.external_id) for m in messages] == [
        (ANNA, "wamid.BATCH1"),
        ("DE.55555555555555555555", "wamid.BATCH2"),
    ]


def test_statuses_come_out_in_their_order_with_their_own_times():
    messages, statuses = events(load("statuses.json"))
    assert messages == []
    assert [(s.wamid, s.status) for s in statuses] == [
        ("wamid.TEST1", "read"),
        ("wamid.TEST1", "sent"),
        ("wamid.TEST1", "delivered"),
    ]
    assert statuses[1].at == datetime.fromtimestamp(1796119201, UTC) and statuses[0].chat_id == ANNA


def test_a_failed_status_carries_its_code_and_reason():
    [status] = events(load("failed_131047.json"))[1]
    assert (status.status, status.error_code) == ("failed", 131047)
    assert status.error_title.startswith("Re-engagement message – Message failed to send")


def test_commands_and_unknown_types():
    body = load("text.json")
    message = body["entry"][0]["changes"][0]["value"]["messages"][0]
    message["text"]["body"] = "/delete"
    assert events(body)[0][0].message.kind is Kind.COMMAND
    message["type"] = "system"
    assert events(body)[0] == []  # a changed number: nothing for the dialogue


def test_other_webhook_fields_and_broken_parts_are_ignored():
    body = load("text.json")
    body["entry"][0]["changes"].append({"field": "message_template_status_update", "value": {"event": "PAUSED"}})
    body["entry"].append("nonsense")
    assert len(events(body)[0]) == 1
