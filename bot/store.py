"""What the dialogue remembers: chat language, decisions and feedback. In memory here;
the database-backed store implements the same protocol."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Protocol

from bot.decision import Decision


@dataclass(frozen=True)
class DecisionRecord:
    id: int
    channel: str
    chat_id: str
    text: str
    lang: str
    decision: Decision


class ChatStore(Protocol):
    async def language(self, channel: str, chat_id: str) -> str | None: ...

    async def set_language(self, channel: str, chat_id: str, lang: str) -> None: ...

    async def district(self, channel: str, chat_id: str) -> str | None: ...

    async def set_district(self, channel: str, chat_id: str, district: str) -> None: ...

    async def record_decision(self, channel: str, chat_id: str, text: str, lang: str, decision: Decision) -> int: ...

    async def record_feedback(
        self, channel: str, chat_id: str, decision_id: int | None, faq_id: str, helpful: bool
    ) -> None: ...


@dataclass
class MemoryChatStore:
    """Keeps everything in the process: for the terminal chat and tests."""

    languages: dict[tuple[str, str], str] = field(default_factory=dict)
    districts: dict[tuple[str, str], str] = field(default_factory=dict)
    decisions: list[DecisionRecord] = field(default_factory=list)
    feedback: list[tuple[str, str, int | None, str, bool]] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    async def language(self, channel: str, chat_id: str) -> str | None:
        return self.languages.get((channel, chat_id))

    async def set_language(self, channel: str, chat_id: str, lang: str) -> None:
        self.languages[(channel, chat_id)] = lang

    async def district(self, channel: str, chat_id: str) -> str | None:
        return self.districts.get((channel, chat_id))

    async def set_district(self, channel: str, chat_id: str, district: str) -> None:
        self.districts[(channel, chat_id)] = district

    async def record_decision(self, channel: str, chat_id: str, text: str, lang: str, decision: Decision) -> int:
        record = DecisionRecord(next(self._ids), channel, chat_id, text, lang, decision)
        self.decisions.append(record)
        return record.id

    async def record_feedback(
        self, channel: str, chat_id: str, decision_id: int | None, faq_id: str, helpful: bool
    ) -> None:
        self.feedback.append((channel, chat_id, decision_id, faq_id, helpful))
