"""A Reply as WhatsApp-style plain text (*bold*, _italic_), for `faq show --channel whatsapp`.

Deliberately small and separate from the WhatsApp channel (handlers/whatsapp/): it shows editors
how an answer reads in WhatsApp's formatting, with buttons listed as numbered choices.
"""

from __future__ import annotations

from bot.messages import Reply
from bot.texts import t


def _bold(text: str) -> str:
    return f"*{text.strip()}*" if text.strip() else ""


def _italic(text: str) -> str:
    return f"_{text.strip()}_" if text.strip() else ""


def render_whatsapp(reply: Reply, lang: str, with_buttons: bool = True) -> str:
    parts = [_bold(reply.title)] if reply.title else []
    parts.append(reply.text.strip())
    if reply.steps:
        parts.append("\n".join([_bold(t("steps", lang))] + [f"{n}. {s}" for n, s in enumerate(reply.steps, 1)]))
    if reply.links:
        parts.append("\n".join([_bold(t("sources", lang))] + [f"- {link.title}: {link.url}" for link in reply.links]))
    if reply.footer:
        parts.append("\n".join(_italic(line) for line in reply.footer.split("\n") if line.strip()))
    if with_buttons and reply.buttons:
        labels = [button.label for row in reply.buttons for button in row]
        parts.append("\n".join(f"{n}. {label}" for n, label in enumerate(labels, 1)))
    return "\n\n".join(p for p in parts if p)
