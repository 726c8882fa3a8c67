"""The employer's conversation in a terminal: numbered choices stand in for buttons."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from typing import TYPE_CHECKING, TextIO

from bot.dialogue import Dialogue
from bot.messages import Button, IncomingMessage, Kind, Reply
from bot.text_input import clean_text, parse_id
from bot.texts import t
from bot.tickets.outbox import Delivery, OutboxItem

if TYPE_CHECKING:
    from bot.runtime import Runtime

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


def _resolve(readable: asyncio.Future[None]) -> None:
    """The loop's reader callback: the descriptor has input (it may fire again before the await ends)."""
    if not readable.done():
        readable.set_result(None)


class LineReader:
    """Lines from a file descriptor without blocking the event loop, and cancellable (Ctrl-C, /quit).

    A thread blocked in readline() cannot be cancelled and keeps the process from exiting; this
    waits for the descriptor with the loop's reader instead, then reads what is there. Bytes that
    are not UTF-8 become U+FFFD instead of an error.
    """

    def __init__(self, fd: int):
        self.fd = fd
        self._buffer = b""
        self._eof = False

    async def readline(self) -> str:
        """The next line with its newline; "" at the end of input."""
        while b"\n" not in self._buffer and not self._eof:
            loop = asyncio.get_running_loop()
            readable: asyncio.Future[None] = loop.create_future()
            loop.add_reader(self.fd, _resolve, readable)
            try:
                await readable
            finally:
                loop.remove_reader(self.fd)
            chunk = os.read(self.fd, 65536)
            self._eof = not chunk
            self._buffer += chunk
        line, newline, self._buffer = self._buffer.partition(b"\n")
        return (line + newline).decode("utf-8", errors="replace")


class TerminalChannel:
    """Reads the employer's lines, writes Lotse's replies; `1`, `2`, ... press a button."""

    name = "terminal"

    def __init__(self, dialogue: Dialogue | None = None, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout):
        self.dialogue = dialogue  # given on attach when the channel is plugged into a runtime
        self.stdin = stdin
        self.stdout = stdout
        self.choices: list[Button] = []
        self.finished = asyncio.Event()  # set when the employer quits or the input ends
        self._task: asyncio.Task | None = None
        self._reader: LineReader | None = None

    # -- as a channel of the runtime (bot/runtime.py) --------------------------------------------------------------

    async def attach(self, runtime: Runtime) -> None:
        self.dialogue = runtime.dialogue
        runtime.add_sender("terminal", TerminalSender(self))

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run_until_quit(), name="terminal-chat")

    async def _run_until_quit(self) -> None:
        try:
            await self.run()
        finally:
            self.finished.set()

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def describe(self) -> str:
        return "the terminal chat in this window (/quit ends it)"

    async def _readline(self) -> str:
        try:
            fd = self.stdin.fileno()
        except (AttributeError, OSError, ValueError):  # a StringIO in tests
            return await asyncio.to_thread(self.stdin.readline)
        if self._reader is None:
            self._reader = LineReader(fd)
        return await self._reader.readline()

    def to_message(self, line: str) -> IncomingMessage:
        text = clean_text(line).strip()
        number = parse_id(text) if not text.startswith("#") else None
        if number is not None and number <= len(self.choices):
            button = self.choices[number - 1]
            return IncomingMessage("terminal", CHAT_ID, Kind.BUTTON, text=button.label, payload=button.payload)
        kind = Kind.COMMAND if text.startswith("/") else Kind.TEXT
        return IncomingMessage("terminal", CHAT_ID, kind, text=text)

    def no_such_choice(self, line: str) -> str | None:
        """A number typed for a button that is not there ("9" of six, "0"): which number it is, else None.

        The dialogue would take it for a question without words ("please type your question"), and the
        buttons on the screen would be forgotten; the employer meant a button.
        """
        text = clean_text(line).strip()
        if not self.choices or not (text.isascii() and text.isdigit() and len(text) <= 6):
            return None
        return None if 1 <= int(text) <= len(self.choices) else text

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
        assert self.dialogue is not None, "attach the channel to a runtime, or pass a dialogue"
        start = IncomingMessage("terminal", CHAT_ID, Kind.COMMAND, text="/start")
        await self.send(await self.dialogue.handle(start), await self.dialogue.chat_language(start))
        self.stdout.write(
            "\n(Tippen Sie Ihre Frage / type your question; Zahlen wählen Knöpfe / numbers press buttons;"
            " /quit beendet)\n"
        )
        while True:
            self.stdout.write("\nSie> ")
            self.stdout.flush()
            line = await self._readline()
            if not line or line.strip().lower() in QUIT:
                self.stdout.write("\nLotse> Auf Wiedersehen! / Goodbye!\n")
                return
            message = self.to_message(line)
            wrong = self.no_such_choice(line)
            if wrong is not None:  # the buttons stay as they are, so the right number still presses one
                chat_lang = await self.dialogue.chat_language(message)
                note = t("no_such_choice", chat_lang, number=wrong, last=str(len(self.choices)))
                self.stdout.write(f"\nLotse> {note}\n")
                continue
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

    async def send(self, item: OutboxItem) -> Delivery:
        await self.channel.notify([item.reply], item.lang)
        return Delivery()
