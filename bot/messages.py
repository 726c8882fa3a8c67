"""The one internal message type in, and the one output contract out, for every channel."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    TEXT = "text"
    COMMAND = "command"  # text starting with "/", e.g. "/start"
    BUTTON = "button"  # a pressed button; `payload` holds its data
    MEDIA = "media"  # photo, voice note, sticker, document, location ...


@dataclass(frozen=True)
class IncomingMessage:
    """What an adapter makes of a platform update; nothing downstream sees the platform."""

    channel: str  # "telegram", "terminal", "web", ...
    chat_id: str
    kind: Kind
    text: str = ""
    payload: str = ""
    user_id: str = ""
    user_name: str = ""
    language_hint: str | None = None  # e.g. Telegram's language_code of the user's app
    external_id: str = ""  # update id, for de-duplication of redelivered updates


@dataclass(frozen=True)
class Button:
    label: str
    payload: str


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass(frozen=True)
class Reply:
    """One message to the employer. Adapters render it within their platform's limits.

    All strings are plain text: adapters escape them for their markup.
    """

    text: str
    title: str = ""
    steps: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    footer: str = ""
    buttons: tuple[tuple[Button, ...], ...] = ()
    meta: dict = field(default_factory=dict, compare=False)
    erased: bool = False  # /delete erased the chat's data: the channel forgets its own copy (a transcript) too

    def button_payloads(self) -> list[str]:
        return [b.payload for row in self.buttons for b in row]


@dataclass(frozen=True)
class AskAnew:
    """A flow's answer that hands a text back to the dialogue as a new question (the hand-over's
    "new question" button): the dialogue answers `text` as it would any question."""

    text: str
    preface: tuple[Reply, ...] = ()  # sent before the answer (the chosen district, bot/districts)
