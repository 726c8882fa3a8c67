"""The hand-over in the terminal chat, with real tickets in the SQLite file: the employer types,
a coordinator answers from the shell (`python -m bot tickets answer`), the answer prints in the chat."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys

import pytest

from bot.config import DatabaseSettings
from bot.db import Database, DbChatStore, prepare
from bot.dialogue import Dialogue
from bot.messages import IncomingMessage, Kind
from bot.tickets.desk import TicketDesk
from bot.tickets.service import Actor
from handlers.terminal import TerminalChannel, TerminalSender
from tests.conftest import ROOT


class Terminal:
    def __init__(self, channel: TerminalChannel):
        self.channel = channel

    async def say(self, line: str) -> str:
        out = io.StringIO()
        self.channel.stdout = out
        message = self.channel.to_message(line)
        replies = await self.channel.dialogue.handle(message)
        await self.channel.send(replies, await self.channel.dialogue.chat_language(message))
        return out.getvalue()

    def number_of(self, label: str) -> str:
        return str(next(i for i, b in enumerate(self.channel.choices, 1) if label in b.label))

    async def press(self, label: str) -> str:
        return await self.say(self.number_of(label))


@pytest.fixture
async def terminal(tmp_path, config, shared_core):
    url = f"sqlite+aiosqlite:///{tmp_path}/var/lotse.db"
    cfg = config.model_copy(update={"database": DatabaseSettings(url=url)})
    async with Database(url) as database:
        await prepare(database, migrate=True)
        store = DbChatStore(database)
        dialogue = Dialogue(cfg, shared_core.knowledge, store)
        channel = TerminalChannel(dialogue, stdin=io.StringIO(), stdout=io.StringIO())
        desk = TicketDesk.build(database, cfg, {"terminal": TerminalSender(channel)})
        dialogue.attach_handover(desk.handover)
        desk.start(reminders=False)
        yield Terminal(channel), desk, cfg, url
        await desk.stop()


async def test_terminal_hand_over_with_a_real_ticket_and_a_shell_answer(terminal, tmp_path):
    chat, desk, cfg, url = terminal
    out = await chat.say(
        "Wann bekommt mein Mitarbeiter Herr Yilmaz seine Verlängerung? Sein Titel läuft nächste Woche ab."
    )
    assert "Ja, weitergeben" in out
    assert "Unternehmen" in await chat.press("Ja, weitergeben")
    assert "Nur hier im Chat" in await chat.say("Tischlerei Holz & Co")
    assert "einverstanden" in await chat.press("Nur hier im Chat")
    opened = await chat.press("Ja, einverstanden")
    assert "Ticket #1" in opened
    [ticket] = await desk.service.for_chat("terminal", "local")
    assert (ticket.team, ticket.company, ticket.contact_method) == ("authority", "Tischlerei Holz & Co", "chat")

    # A coordinator answers from another process, as an operator would.
    env = os.environ | {"LOTSE_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    printed = io.StringIO()
    chat.channel.stdout = printed
    shell = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "bot",
            "tickets",
            "--name",
            "Olga",
            "answer",
            "1",
            "Der Antrag ist da, Termin folgt per Post.",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shell.returncode == 0, shell.stderr
    for _ in range(200):  # the outbox polls every tickets.outbox.poll_seconds
        if "Termin folgt per Post" in printed.getvalue():
            break
        await asyncio.sleep(0.05)
    assert "Termin folgt per Post" in printed.getvalue() and "— Ausländerbehörde" in printed.getvalue()
    assert printed.getvalue().rstrip().endswith("Sie>")  # the prompt comes back

    assert "wieder an" in (await chat.press("Antworten") and await chat.say("Muss er persönlich kommen?"))
    assert "#1" in await chat.say("/tickets")
    printed = io.StringIO()
    chat.channel.stdout = printed
    await desk.service.answer(1, Actor("staff", "cli:olga", "Olga", ("authority",)), "Nein, per Post genügt.")
    for _ in range(200):
        if "per Post genügt" in printed.getvalue():
            break
        await asyncio.sleep(0.05)
    assert "Ticket #1 ist geschlossen" in await chat.press("Gelöst, danke")
    assert (await desk.service.get(1)).status == "closed"
    assert [e.action for e in await desk.service.events(1)] == ["opened", "answered", "reopened", "answered", "solved"]


async def test_tickets_list_from_the_shell(terminal):
    chat, desk, cfg, url = terminal
    env = os.environ | {"LOTSE_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "tickets", "show", "42"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1 and "TicketNotFound" in result.stderr


async def test_consent_repeated_after_a_crash_before_the_flow_was_cleared_opens_no_second_ticket(terminal):
    chat, desk, cfg, url = terminal
    await chat.say("Wann bekommt mein Mitarbeiter Herr Yilmaz seine Verlängerung? Sein Titel läuft nächste Woche ab.")
    await chat.press("Ja, weitergeben")
    await chat.say("Tischlerei Holz & Co")
    await chat.press("Nur hier im Chat")
    states = desk.handover.states
    at_consent = await states.get("terminal", "local")
    assert (at_consent.flow, at_consent.step) == ("handover", "consent")
    assert "Ticket #1" in await chat.press("Ja, einverstanden")

    # The process died after the ticket's commit and before the flow was cleared: the employer,
    # still at the consent question, presses once more (a new update, not a redelivery).
    await states.set("terminal", "local", at_consent)
    press = IncomingMessage("terminal", "local", Kind.BUTTON, text="Ja, einverstanden", payload="ho:consent")
    [again] = await chat.channel.dialogue.handle(press)
    assert "Ticket #1" in again.text
    assert len(await desk.service.for_chat("terminal", "local")) == 1
