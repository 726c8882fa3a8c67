"""The bad-input corpus (tests/data/bad_input/) through the terminal chat, on a real SQLite file:
each line gets a reply, nothing stored carries control characters, no traceback is logged."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import JSON, String, Text, select

from bot.db import Base
from tests.bad_input import has_controls, items, names, tracebacks
from tests.tickets.test_terminal_flow import terminal  # noqa: F401

TEXTS = dict(items("text"))


async def stored_texts(database) -> list[str]:
    """Every string, text and JSON value in every table."""
    values = []
    async with database.read() as session:
        for table in Base.metadata.sorted_tables:
            columns = [
                c
                for c in table.columns
                if isinstance(c.type, (String, Text, JSON))
                or isinstance(getattr(c.type, "impl", None), (String, Text, JSON))
            ]
            for row in (await session.execute(select(*columns))).all() if columns else ():
                values += [v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in row if v]
    return values


@pytest.mark.parametrize("name", names("text"))
async def test_every_bad_line_gets_a_reply(terminal, name, caplog):  # noqa: F811
    chat, desk, _cfg, _url = terminal
    caplog.set_level(logging.INFO)
    await chat.say("/start")
    out = await chat.say(TEXTS[name])
    assert out.strip(), name  # a clear reply, whatever came in
    assert tracebacks(caplog.records) == []
    assert not [text for text in await stored_texts(desk.service.database) if has_controls(text)]


async def test_a_hand_over_with_control_characters_opens_a_clean_ticket(terminal, caplog):  # noqa: F811
    chat, desk, _cfg, _url = terminal
    caplog.set_level(logging.INFO)
    await chat.say("/start")
    out = await chat.say("Wann bekommt mein Mitarbeiter\x00 Herr Yilmaz seine Verlängerung?\x1b Sein Titel läuft ab.")
    assert "Ja, weitergeben" in out
    await chat.press("Ja, weitergeben")
    await chat.say("Bäckerei\x00 \u202eBeispiel\x07 GmbH")
    await chat.press("Nur hier im Chat")
    out = await chat.press("Ja, einverstanden")
    assert "Ticket #" in out
    [ticket] = await desk.service.for_chat("terminal", "local")
    assert ticket.company == "Bäckerei \u202eBeispiel GmbH" and "\x00" not in ticket.question
    assert not [text for text in await stored_texts(desk.service.database) if has_controls(text)]
    assert tracebacks(caplog.records) == []
