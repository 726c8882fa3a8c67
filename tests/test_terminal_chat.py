"""The terminal chat, read as conversations."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import pytest

from handlers.terminal import TerminalChannel
from tests.conftest import ROOT


class Conversation:
    """Types lines into the terminal channel and returns what Lotse printed in reply."""

    def __init__(self, core):
        self.dialogue = core.dialogue
        self.store = core.store
        self.channel = TerminalChannel(core.dialogue, stdin=io.StringIO(), stdout=io.StringIO())

    async def say(self, line: str) -> str:
        out = io.StringIO()
        self.channel.stdout = out
        message = self.channel.to_message(line)
        replies = await self.dialogue.handle(message)
        lang = next((r.meta["lang"] for r in replies if "lang" in r.meta), await self.dialogue.chat_language(message))
        await self.channel.send(replies, lang)
        return out.getvalue()

    def number_of(self, label: str) -> str:
        return str(next(i for i, b in enumerate(self.channel.choices, 1) if label in b.label))


@pytest.fixture
def chat(core) -> Conversation:
    return Conversation(core)


async def test_start_language_question_answer_and_feedback(chat):
    out = await chat.say("/start")
    assert "Lotse" in out and "/privacy" in out
    assert "[1] Deutsch   [2] English" in out

    assert "I will answer in English now." in await chat.say(chat.number_of("English"))

    out = await chat.say("Is someone with a Duldung allowed to work in our bakery?")
    assert "Sources:" in out and "https://" in out
    assert "Last reviewed:" in out
    assert "the district's foreigners' authority" in out  # who decides the individual case
    assert re.search(r"\[\d+\] 👍", out)

    out = await chat.say(chat.number_of("👍"))
    assert "Thank you for your feedback" in out
    assert (
        chat.store.feedback and chat.store.feedback[-1][3] == "status.tolerated" and chat.store.feedback[-1][4] is True
    )
    assert chat.store.decisions[-1].decision.faq_id == "status.tolerated"


async def test_an_ambiguous_question_offers_choices_and_a_choice_answers(chat):
    await chat.say("/start")
    out = await chat.say("Ausbildung Duldung")
    assert "Meinten Sie" in out
    assert "Nichts davon – Person fragen" in out
    choice = chat.channel.choices[0]
    out = await chat.say("1")
    topic = chat.dialogue.knowledge.current.faq.topics[choice.payload.removeprefix("faq:")]
    assert topic.title.de.upper() in out
    assert "Quellen:" in out


async def test_an_individual_case_says_where_it_must_go(chat):
    out = await chat.say(
        "Können Sie bitte nachsehen, ob der Antrag auf Beschäftigungserlaubnis von unserem Koch Herrn Yilmaz durch ist?"
    )
    assert "Ausländerbehörde" in out
    assert "+49 1234 5678-100" in out  # the contact comes from config.yml


async def test_browse_topics_help_privacy_and_bad_input(chat):
    out = await chat.say("/topics")
    assert "Wählen Sie einen Bereich" in out and "[1]" in out
    out = await chat.say("1")
    assert "Themen im Bereich" in out
    assert "/topics" in await chat.say("/help")
    assert "Daten" in await chat.say("/privacy")
    assert "Bitte schreiben Sie Ihre Frage" in await chat.say("   ")
    assert "sehr lang" in await chat.say("Duldung " * 400)
    assert "kenne ich nicht" in await chat.say("/foo")
    assert "Dafür bin ich leider nicht zuständig" in await chat.say(
        "Wann ist der nächste Termin für die Kfz-Zulassung?"
    )


def test_the_chat_command_runs_a_whole_session_in_a_real_terminal_process(tmp_path):
    script = "2\n/topics\n1\n1\n/quit\n"
    env = {**os.environ, "LOTSE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        cwd=ROOT,
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.index("[2] English") < out.index("I will answer in English now.") < out.index("Choose an area")
    assert "Topics in" in out and "Sources:" in out and "Goodbye" in out
