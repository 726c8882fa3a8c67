"""What the employer sees: `faq show` renders a topic as a channel sends it; `faq check` weighs it against a phone.

The answer is built by the dialogue's own renderer (Dialogue.render_topic) and drawn by the channels'
renderers (handlers/), so what is printed here is what goes out.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

from bot.config import Config
from bot.knowledge.loader import Issue, faq_files
from bot.knowledge.model import LANGS, Faq
from bot.knowledge.whatsapp_text import render_whatsapp
from bot.messages import Reply

CHANNELS = ("terminal", "telegram", "whatsapp", "web")


def reply_for(config: Config, faq: Faq, topic_id: str, lang: str, district: str | None = None) -> Reply:
    """The topic's answer exactly as the dialogue builds it (placeholders, steps, sources, footer, buttons).

    `district`: in a network, as that district's chats get it (its contacts and overlay; None: the first).
    """
    from bot.dialogue import Dialogue  # the dialogue pulls in the decision rule; only needed here
    from bot.store import MemoryChatStore

    knowledge = SimpleNamespace(current=SimpleNamespace(faq=faq))  # render_topic reads only the FAQ
    dialogue = Dialogue(config, knowledge, MemoryChatStore())  # type: ignore[arg-type]
    return dialogue.render_topic(faq.topics[topic_id], lang, district=district)


def _buttons(reply: Reply) -> str:
    return "\n".join("   ".join(f"[{b.label}]" for b in row) for row in reply.buttons)


def render(reply: Reply, lang: str, channel: str) -> str:
    """The reply as `channel` sends it: terminal text, Telegram HTML messages, WhatsApp text, web JSON."""
    if channel == "terminal":
        from handlers.terminal import render_plain

        return render_plain(reply, lang)[0]
    if channel == "telegram":
        from handlers.telegram import render as render_telegram

        messages = [m.text for m in render_telegram(reply, lang)]
        buttons = "\n\nButtons:\n" + _buttons(reply) if reply.buttons else ""
        return "\n\n----- next message -----\n\n".join(messages) + buttons
    if channel == "web":
        from handlers.web.chat_store import reply_json

        return json.dumps(reply_json(reply), ensure_ascii=False, indent=2)
    if channel == "whatsapp":
        return render_whatsapp(reply, lang)
    raise ValueError(f"unknown channel {channel!r}; one of {', '.join(CHANNELS)}")


def answer_length(reply: Reply) -> int:
    """What the employer has to read of an answer as sent: its text and numbered steps, with the
    placeholders filled in. Title, source links, footer and buttons are the same frame on every
    answer and are left out, so the budget speaks about what an editor can shorten."""
    return len(reply.text) + sum(len(f"{n}. {step}") + 1 for n, step in enumerate(reply.steps, 1))


def topic_line(directory: Path, topic_id: str) -> tuple[Path, int | None]:
    """The file and line of a topic's `id:`, for a warning about the topic as a whole."""
    pattern = re.compile(rf"^\s*-?\s*id:\s*{re.escape(topic_id)}\s*$")
    for path in faq_files(directory):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.match(line):
                return path, number
    return directory, None


def budget_issues(config: Config, faq: Faq) -> list[Issue]:
    """A warning for every rendered answer longer than faq.answer_budget_chars."""
    budget, directory = config.faq.answer_budget_chars, config.resolve(config.faq.path)
    issues = []
    for topic_id in faq.topics:
        for lang in LANGS:
            length = answer_length(reply_for(config, faq, topic_id, lang))
            if length > budget:
                path, line = topic_line(directory, topic_id)
                issues.append(
                    Issue(
                        "warning",
                        path,
                        line,
                        f"{topic_id}: the {lang} answer as sent (text and steps) has {length} characters "
                        f"(budget {budget}, faq.answer_budget_chars)",
                        f"shorten answer or steps; see it with: python -m bot faq show {topic_id} --lang {lang}",
                        kind="budget",
                    )
                )
    return issues
