"""A new employer in the terminal chat: /help names every command they can use, and a number for a
button that is not there says so instead of asking for a question (found in the QA pass)."""

from __future__ import annotations

import io
import re

from handlers.terminal import TerminalChannel
from tests.tickets.test_terminal_flow import terminal  # noqa: F401  (fixture: real tickets in SQLite)


async def test_help_names_the_ticket_commands_that_work_here(terminal):  # noqa: F811
    chat, _desk, _cfg, _url = terminal
    out = await chat.say("/help")
    for command in ("/topics", "/lang", "/privacy", "/tickets", "/cancel", "/delete"):
        assert command in out, command
    assert "Sie haben keine Tickets." in await chat.say("/tickets")  # and they do what /help says
    assert "nichts abzubrechen" in await chat.say("/cancel")


async def test_without_a_ticket_queue_help_offers_no_ticket_commands(shared_core):
    channel = TerminalChannel(shared_core.dialogue, stdin=io.StringIO(), stdout=io.StringIO())
    [reply] = await shared_core.dialogue.handle(channel.to_message("/help"))
    assert "/topics" in reply.text and "/tickets" not in reply.text and "/delete" not in reply.text


async def test_a_number_past_the_buttons_names_the_ones_there_and_keeps_them(terminal):  # noqa: F811
    chat, _desk, _cfg, _url = terminal
    channel = chat.channel
    channel.stdin = io.StringIO("Darf jemand mit Duldung bei uns arbeiten?\n99\n0\n1\n/quit\n")
    channel.stdout = screen = io.StringIO()
    await channel.run()
    text = screen.getvalue()
    last = re.findall(r"\[(\d+)\]", text.split("Einen Knopf 99")[0])[-1]  # the buttons under the answer
    assert f"Einen Knopf 99 gibt es hier nicht. Tippen Sie eine Zahl von 1 bis {last}" in text
    assert "Einen Knopf 0 gibt es hier nicht." in text
    assert "Bitte schreiben Sie Ihre Frage." not in text  # the number is not taken for a question
    pressed = text.split("Einen Knopf 0 gibt es hier nicht.")[1]
    assert re.search(r"Lotse> [^a-z\n]{6,}\n", pressed)  # "1" still pressed the first related topic: its TITLE
