"""A webhook body in, IncomingMessages and delivery statuses out: a table of message types, tested
on recorded payloads (tests/fixtures/whatsapp).

Users are keyed by their business-scoped user id (`from_user_id`, `contacts[].user_id`); the phone
number (`from`, `wa_id`) may be missing and is kept only to address replies. One body can carry
several entries, changes, messages and statuses: all of them are read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.messages import IncomingMessage, Kind
from bot.text_input import FORGED, clean_payload, clean_text

CHANNEL = "whatsapp"
# Neither downloaded nor stored: documents and photos can hold refugees' personal data.
MEDIA = frozenset({"image", "audio", "video", "document", "sticker", "location", "contacts", "reaction", "unsupported"})
MAX_TEXT = 4096
MAX_TITLE = 200
MAX_KEY = 128  # chat ids and wamids: the database's columns


@dataclass(frozen=True)
class Inbound:
    """A message from an employer, with the time WhatsApp says it was written."""

    message: IncomingMessage
    at: datetime
    phone: str | None


@dataclass(frozen=True)
class Status:
    """A delivery report for a message Lotse sent."""

    wamid: str
    status: str  # sent | delivered | read | failed (| played ...)
    chat_id: str
    at: datetime
    error_code: int | None = None
    error_title: str | None = None


def timestamp(raw: object) -> datetime:
    """WhatsApp's timestamps are Unix seconds as strings."""
    try:
        return datetime.fromtimestamp(int(str(raw)), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.now(UTC)


def _items(parent: dict, key: str) -> list:
    """A list in the body; anything else (a number, a string, an object) is a broken part and holds nothing.

    Iterating a number raised TypeError: a 500 that Meta would redeliver for days.
    """
    value = parent.get(key)
    return value if isinstance(value, list) else []


def _values(body: dict) -> Iterator[dict]:
    for entry in _items(body, "entry"):
        for change in _items(entry, "changes") if isinstance(entry, dict) else ():
            value = change.get("value") if isinstance(change, dict) else None
            if isinstance(value, dict) and change.get("field", "messages") == "messages":
                yield value


def _part(message: dict, key: str) -> dict:
    part = message.get(key)
    return part if isinstance(part, dict) else {}


def _kind_and_content(message: dict) -> tuple[Kind, str, str] | None:
    """(kind, text, payload) by the message's type; None for what is not for the dialogue."""
    kind = message.get("type")
    if kind == "text":
        text = clean_text(_part(message, "text").get("body"))[:MAX_TEXT]
        return (Kind.COMMAND if text.lstrip().startswith("/") else Kind.TEXT), text.strip(), ""
    if kind == "interactive":
        interactive = _part(message, "interactive")
        reply = interactive.get("button_reply") or interactive.get("list_reply")
        if isinstance(reply, dict) and reply.get("id"):
            return Kind.BUTTON, clean_text(reply.get("title"))[:MAX_TITLE], clean_payload(reply["id"])
        # A tap Lotse cannot read (a Flow's nfm_reply, a reply without its id) is still a tap: it gets the
        # visible "this button is no longer valid" like any unknown button, not silence.
        return Kind.BUTTON, "", FORGED
    if kind == "button":  # a template's quick-reply button (not "interactive")
        button = _part(message, "button")
        payload = button.get("payload") or button.get("text")
        return Kind.BUTTON, clean_text(button.get("text"))[:MAX_TITLE], clean_payload(payload)
    if kind in MEDIA:
        return Kind.MEDIA, "", ""
    return None  # system (number changed), errors, unknown future types


def to_message(message: dict, contacts: dict[str, dict]) -> Inbound | None:
    """One entry of `messages[]` as the dialogue sees it; `contacts` by user id and by wa_id."""
    phone = clean_text(message.get("from"))[:32] or None
    contact = contacts.get(str(message.get("from_user_id") or "")) or contacts.get(phone or "") or {}
    chat_id = clean_text(message.get("from_user_id") or contact.get("user_id") or phone)
    wamid = clean_text(message.get("id"))
    content = _kind_and_content(message)
    if not 0 < len(chat_id) <= MAX_KEY or not 0 < len(wamid) <= MAX_KEY or content is None:
        return None
    kind, text, payload = content
    name = clean_text(_part(contact, "profile").get("name"))[:128]
    incoming = IncomingMessage(
        CHANNEL,
        str(chat_id),
        kind,
        text=text,
        payload=payload,
        user_id=str(chat_id),
        user_name=name,
        external_id=wamid,
    )
    return Inbound(
        incoming, timestamp(message.get("timestamp")), phone or clean_text(contact.get("wa_id"))[:32] or None
    )


def to_status(status: dict) -> Status | None:
    wamid, state = clean_text(status.get("id")), clean_text(status.get("status"))
    if not 0 < len(wamid) <= MAX_KEY or not state:
        return None
    errors = status.get("errors")
    error = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    code = error.get("code")
    details = _part(error, "error_data").get("details")
    title = " – ".join(clean_text(part) for part in (error.get("title"), details) if part)[:500] or None
    chat_id = clean_text(status.get("recipient_user_id") or status.get("recipient_id"))[:MAX_KEY]
    number = str(code)
    return Status(
        wamid,
        state[:16],
        chat_id,
        timestamp(status.get("timestamp")),
        int(number) if number.isdigit() and len(number) < 10 else None,
        title,
    )


def events(body: dict) -> tuple[list[Inbound], list[Status]]:
    """Every message and status in a webhook body, in the order they came."""
    messages: list[Inbound] = []
    statuses: list[Status] = []
    for value in _values(body):
        contacts: dict[str, dict] = {}
        for contact in _items(value, "contacts"):
            if isinstance(contact, dict):
                for key in (contact.get("user_id"), contact.get("wa_id")):
                    if key:
                        contacts[str(key)] = contact
        for message in _items(value, "messages"):
            inbound = to_message(message, contacts) if isinstance(message, dict) else None
            if inbound is not None:
                messages.append(inbound)
        for status in _items(value, "statuses"):
            report = to_status(status) if isinstance(status, dict) else None
            if report is not None:
                statuses.append(report)
    return messages, statuses
