"""The dialogue's replies as WhatsApp messages, within Meta's limits, as few as possible per turn.

WhatsApp formatting only: *bold* titles, _italic_ footers, steps as "1." lines, sources as
"Title: URL" in plain text. WhatsApp has no escape character, so an employer's or an editor's
`*`, `_`, `~` and backtick are replaced by look-alikes that never format (URLs are left exact).
Choices: up to 3 become reply buttons, 4 to 10 a list, more become numbered text that the
employer answers by typing the number (the channel remembers what the numbers stand for).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.config import WhatsAppLimits
from bot.messages import Button, Link, Reply
from bot.texts import t

LOOKALIKES = str.maketrans({"*": "∗", "_": "＿", "~": "∼", "`": "ˋ"})
URL = re.compile(r"https?://\S+")

TEXTS = {
    "choose": {"de": "Bitte wählen Sie:", "en": "Please choose:"},
    "list_button": {"de": "Auswahl", "en": "Options"},
    "numbers": {"de": "Antworten Sie mit 1–{n}.", "en": "Reply with 1–{n}."},
}


def text(key: str, lang: str, **values: str) -> str:
    phrase = TEXTS[key]["en" if lang == "en" else "de"]
    return phrase.format(**values) if values else phrase


@dataclass(frozen=True)
class Outgoing:
    """One WhatsApp message body (without recipient), and the numbered choices it offers, if any."""

    body: dict
    kind: str  # text | interactive
    choices: list[str] | None = None  # payloads for typed numbers; [] when the message offers buttons


def escape(plain: str) -> str:
    """Plain text that WhatsApp shows as it is; URLs stay exact so that they still open."""
    pieces, last = [], 0
    for match in URL.finditer(plain):
        pieces += [plain[last : match.start()].translate(LOOKALIKES), match.group()]
        last = match.end()
    pieces.append(plain[last:].translate(LOOKALIKES))
    return "".join(pieces)


def paragraphs(reply: Reply, lang: str) -> list[str]:
    """The reply as formatted paragraphs: title, text, steps, sources, footer."""
    lang = reply.meta.get("lang") or lang
    out = [f"*{escape(reply.title.strip())}*"] if reply.title.strip() else []
    out += [escape(p.strip()) for p in reply.text.split("\n\n") if p.strip()]
    if reply.steps:
        out.append("\n".join([f"*{t('steps', lang)}*"] + [f"{n}. {escape(s)}" for n, s in enumerate(reply.steps, 1)]))
    if reply.links:
        out.append("\n".join([f"*{t('sources', lang)}*"] + [f"• {escape(k.title)}: {k.url}" for k in reply.links]))
    if reply.footer.strip():
        out.append("\n".join(f"_{escape(line.strip())}_" for line in reply.footer.split("\n") if line.strip()))
    return out


def _cut(paragraph: str, limit: int) -> list[str]:
    """A paragraph longer than `limit`, cut at line ends, then at spaces, then anywhere."""
    pieces, current = [], ""
    for word in re.split(r"(?<=[\n ])", paragraph):
        while len(word) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(word[:limit])
            word = word[limit:]
        if len(current) + len(word) > limit:
            pieces.append(current)
            current = ""
        current += word
    return [p.strip() for p in pieces + [current] if p.strip()]


def pack(parts: list[str], limit: int) -> list[str]:
    """Join paragraphs into as few texts of at most `limit` characters as possible."""
    texts, current = [], ""
    for part in (piece for paragraph in parts for piece in _cut(paragraph, limit)):
        joined = f"{current}\n\n{part}" if current else part
        if len(joined) <= limit:
            current = joined
            continue
        texts.append(current)
        current = part
    return texts + [current] if current else texts


def _text(body: str) -> Outgoing:
    return Outgoing({"type": "text", "text": {"preview_url": False, "body": body}}, "text")


def _choices(replies: list[Reply]) -> list[Button]:
    seen: dict[str, Button] = {}
    for reply in replies:
        for row in reply.buttons:
            for button in row:
                seen.setdefault(button.payload, button)
    return list(seen.values())


def _clip(label: str, limit: int) -> str:
    label = " ".join(label.split())
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _interactive(body: str, choices: list[Button], lang: str, limits: WhatsAppLimits) -> Outgoing:
    labels = [" ".join(b.label.split()) for b in choices]
    if (
        len(choices) <= limits.buttons
        and all(len(x) <= limits.button_title for x in labels)
        and len(set(labels)) == len(labels)
    ):
        buttons = [
            {"type": "reply", "reply": {"id": b.payload, "title": label}}
            for b, label in zip(choices, labels, strict=True)
        ]
        return Outgoing(
            {
                "type": "interactive",
                "interactive": {"type": "button", "body": {"text": body}, "action": {"buttons": buttons}},
            },
            "interactive",
            [],
        )
    rows = []
    for button, label in zip(choices, labels, strict=True):
        row = {"id": button.payload, "title": _clip(label, limits.row_title)}
        if len(label) > limits.row_title and limits.row_description:
            row["description"] = _clip(label, limits.row_description)
        rows.append(row)
    return Outgoing(
        {
            "type": "interactive",
            "interactive": {
                "type": "list",
                "body": {"text": body},
                "action": {
                    "button": _clip(text("list_button", lang), limits.list_button),
                    "sections": [{"rows": rows}],
                },
            },
        },
        "interactive",
        [],
    )


DEFAULT_LIMITS = WhatsAppLimits.model_validate({})


def render_turn(replies: list[Reply], lang: str, limits: WhatsAppLimits = DEFAULT_LIMITS) -> list[Outgoing]:
    """A bot turn (the dialogue's replies to one message) as WhatsApp messages, in order.

    Raises:
        ValueError: a button's payload is longer than WhatsApp's id limit (a bug, never sent).
    """
    parts = [p for reply in replies for p in paragraphs(reply, lang)]
    choices = _choices(replies)
    longest = min(limits.button_id, limits.row_id)
    for button in choices:
        if not 1 <= len(button.payload) <= longest:
            raise ValueError(f"button id must be 1-{longest} characters: {button.payload!r}")
    if not choices:
        return [_text(body) for body in pack(parts, limits.text)] or [_text("…")]
    if len(choices) > limits.list_rows:
        numbered = "\n".join(f"{n}. {escape(b.label)}" for n, b in enumerate(choices, 1))
        texts = pack(parts + [numbered, text("numbers", lang, n=str(len(choices)))], limits.text)
        out = [_text(body) for body in texts]
        return out[:-1] + [Outgoing(out[-1].body, "text", [b.payload for b in choices])]
    # The interactive message carries as many of the last paragraphs as fit its shorter body.
    body_parts: list[str] = []
    while parts and len("\n\n".join([parts[-1]] + body_parts)) <= limits.interactive_body:
        body_parts.insert(0, parts.pop())
    body = "\n\n".join(body_parts) or text("choose", lang)
    return [_text(x) for x in pack(parts, limits.text)] + [_interactive(body, choices, lang, limits)]


# -- a turn in the outbox: Replies as JSON (steps and sources included) ------------------------------------------


def reply_json(reply: Reply) -> dict:
    data: dict = {"text": reply.text}
    for key in ("title", "footer"):
        if getattr(reply, key):
            data[key] = getattr(reply, key)
    if reply.steps:
        data["steps"] = list(reply.steps)
    if reply.links:
        data["links"] = [[link.title, link.url] for link in reply.links]
    if reply.buttons:
        data["buttons"] = [[[b.label, b.payload] for b in row] for row in reply.buttons]
    if reply.meta.get("lang"):
        data["lang"] = reply.meta["lang"]
    return data


def json_reply(data: dict) -> Reply:
    return Reply(
        data.get("text", ""),
        title=data.get("title", ""),
        footer=data.get("footer", ""),
        steps=tuple(data.get("steps", ())),
        links=tuple(Link(a, b) for a, b in data.get("links", ())),
        buttons=tuple(tuple(Button(label, payload) for label, payload in row) for row in data.get("buttons", ())),
        meta={"lang": data.get("lang")},
    )
