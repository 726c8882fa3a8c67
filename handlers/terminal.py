"""The employer's conversation in a terminal: numbered choices stand in for buttons."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.dialogue import Dialogue
from bot.messages import Button, IncomingMessage, Kind, Reply
from bot.text_input import clean_text, parse_id

CHAT_ID = "local"
QUIT = {"/quit", "/exit", "quit", "exit"}


def render_plain(reply: Reply, lang: str, first_number: int = 1) -> tuple[str, list[Button]]:
    """Plain-text rendering; returns the text and the buttons in the order they were numbered."""
    lines: list[str] = []
    if reply.title:
        lines += [reply.title.upper(), ""]
    lines.append(reply.text)
    if reply.steps:
        lines += ["", "So geht's:" if lang == "de" else "Step by step:"]
        lines += [f"  {n}. {step}" for n, step in enumerate(reply.steps, 1)]
    if reply.links:
        lines += ["", "Quellen:" if lang == "de" else "Sources:"]
        lines += [f"  - {link.title}: {link.url}" for link in reply.links]
    if reply.footer:
        lines += ["", reply.footer]
    numbered: list[Button] = []
    for row in reply.buttons:
        cells = []
        for button in row:
            numbered.append(button)
            cells.append(f"[{first_number + len(numbered) - 1}] {button.label}")
        lines.append("   ".join(cells))
    return "\n".join(lines), numbered


class TerminalChannel:
    """Reads the employer's lines, writes Lotse's replies; `1`, `2`, ... press a button."""

    def __init__(self, dialogue: Dialogue, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout):
        self.dialogue = dialogue
        self.stdin = stdin
        self.stdout = stdout
        self.choices: list[Button] = []

    def to_message(self, line: str) -> IncomingMessage:
        text = clean_text(line).strip()
        number = parse_id(text) if not text.startswith("#") else None
        if number is not None and number <= len(self.choices):
            button = self.choices[number - 1]
            return IncomingMessage("terminal", CHAT_ID, Kind.BUTTON, text=button.label, payload=button.payload)
        kind = Kind.COMMAND if text.startswith("/") else Kind.TEXT
        return IncomingMessage("terminal", CHAT_ID, kind, text=text)

    async def send(self, replies: list[Reply], lang: str) -> None:
        self.choices = []
        for reply in replies:
            text, buttons = render_plain(reply, lang, first_number=len(self.choices) + 1)
            self.choices += buttons
            self.stdout.write(f"\nLotse> {text}\n")
        self.stdout.flush()

    async def notify(self, replies: list[Reply], lang: str) -> None:
        """A message that arrives on its own (a team's answer to a ticket), while the employer is at the prompt."""
        await self.send(replies, lang)
        self.stdout.write("\nSie> ")
        self.stdout.flush()

    async def run(self) -> None:
        start = IncomingMessage("terminal", CHAT_ID, Kind.COMMAND, text="/start")
        await self.send(await self.dialogue.handle(start), await self.dialogue.chat_language(start))
        self.stdout.write("\n(Tippen Sie Ihre Frage / type your question; Zahlen wählen Knöpfe / numbers press buttons; /quit beendet)\n")
        while True:
            self.stdout.write("\nSie> ")
            self.stdout.flush()
            line = await asyncio.to_thread(self.stdin.readline)
            if not line or line.strip().lower() in QUIT:
                self.stdout.write("\nLotse> Auf Wiedersehen! / Goodbye!\n")
                return
            message = self.to_message(line)
            replies = await self.dialogue.handle(message)
            lang = next((r.meta.get("lang") for r in replies if r.meta.get("lang")), None)
            await self.send(replies, lang or await self.dialogue.chat_language(message))


class TerminalSender:
    """The outbox's sender for the terminal chat (bot/tickets/outbox.py): prints what arrives.

    A team's answer, written from Telegram or `python -m bot tickets answer`, shows up within the
    outbox's poll interval (tickets.outbox.poll_seconds) while this chat runs, or at its next start.
    """

    def __init__(self, channel: TerminalChannel):
        self.channel = channel

    async def send(self, item):
        from bot.tickets.outbox import Delivery

        await self.channel.notify([item.reply], item.lang)
        return Delivery()
