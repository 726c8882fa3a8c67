"""/privacy says exactly what /delete leaves, as config.yml's tickets.on_delete and retention say."""

from __future__ import annotations

import pytest

from bot.dialogue import Dialogue
from bot.messages import IncomingMessage, Kind
from bot.store import MemoryChatStore


def privacy_text(shared_core, on_delete: str, lang: str) -> str:
    config = shared_core.config
    config = config.model_copy(update={"tickets": config.tickets.model_copy(update={"on_delete": on_delete})})
    dialogue = Dialogue(config, shared_core.knowledge, MemoryChatStore())
    return dialogue._privacy(lang)


@pytest.mark.parametrize("lang", ["de", "en"])
def test_anonymised_tickets_are_named_with_their_retention(shared_core, lang):
    text = privacy_text(shared_core, "anonymise", lang)
    days = f"{shared_core.config.retention.days:g}"
    assert "/delete" in text and days in text
    assert ("anonym" in text) and ("vollständig" not in text and "completely" not in text)


@pytest.mark.parametrize("lang", ["de", "en"])
def test_deleted_tickets_leave_nothing(shared_core, lang):
    text = privacy_text(shared_core, "delete", lang)
    assert "/delete" in text and ("vollständig" in text or "completely" in text) and "anonym" not in text


async def test_the_privacy_command_ends_with_what_delete_leaves(core):
    [reply] = await core.dialogue.handle(IncomingMessage("terminal", "p1", Kind.COMMAND, text="/privacy"))
    assert reply.text.rstrip().endswith(core.dialogue._privacy("de").rstrip().splitlines()[-1])
    assert "/delete" in reply.text.splitlines()[-1]
