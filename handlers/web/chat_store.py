"""The web chat's tokens and rendering, and the outbox sender that writes into its transcript.

A web page cannot be pushed to, so the outbox's "web" sender delivers by storing the message in
the transcript (bot/accounts/web_chat.py); the page polls for it. The browser's token is never
stored: the chat id is a hash of it. Tokens are made and signed by the server (HMAC with the
session key), so a client cannot make up chats to get round the per-chat limits.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from bot.accounts.web_chat import WebChatStore
from bot.messages import Reply
from bot.tickets.outbox import Delivery, OutboxItem, payload_reply

TOKEN = re.compile(r"^[A-Za-z0-9_-]{64}$")  # 32 characters of nonce, 32 of signature


def _signature(key: bytes, nonce: str) -> str:
    digest = hmac.new(key, b"lotse-web-chat:" + nonce.encode(), hashlib.sha256).digest()[:24]
    return base64.urlsafe_b64encode(digest).decode()


def new_token(key: bytes) -> str:
    """A chat's secret token, kept by the browser: 192 random bits and the server's signature of them."""
    nonce = secrets.token_urlsafe(24)
    return nonce + _signature(key, nonce)


def chat_id_of(token: str, key: bytes) -> str | None:
    """The chat id for a token, or None if the server did not make it."""
    if not TOKEN.match(token or ""):
        return None
    if not hmac.compare_digest(token[32:], _signature(key, token[:32])):
        return None
    return hashlib.sha256(token.encode()).hexdigest()[:40]


def _safe_url(url: str) -> str | None:
    return url if url.startswith(("https://", "http://")) else None


def reply_json(reply: Reply) -> dict:
    """A Reply as the page renders it: plain strings only, the page sets them as text."""
    data: dict = {"text": reply.text}
    if reply.title:
        data["title"] = reply.title
    if reply.steps:
        data["steps"] = list(reply.steps)
    links = [{"title": link.title, "url": link.url} for link in reply.links if _safe_url(link.url)]
    if links:
        data["links"] = links
    if reply.footer:
        data["footer"] = reply.footer
    if reply.buttons:
        data["buttons"] = [[{"label": b.label, "payload": b.payload} for b in row] for row in reply.buttons]
    return data


def file_entry(described: dict) -> dict:
    """A team's file in the transcript: its name and size, and where this chat downloads it (handlers/web/files.py)."""
    number = int(described["id"])
    return {"name": str(described["name"]), "size": int(described["size"]), "url": f"/chat/api/files/{number}"}


class WebSender:
    """The outbox's sender for channel "web": a team's answer or a ticket note lands in the transcript."""

    def __init__(self, store: WebChatStore):
        self.store = store

    async def send(self, item: OutboxItem) -> Delivery:
        shown = reply_json(payload_reply(item.payload))
        if isinstance(item.payload.get("file"), dict):  # a team's file: the page shows a download button
            shown["file"] = file_entry(item.payload["file"])
        row_id = await self.store.add_delivered(item.chat_id, shown, item.id)
        return Delivery(message_id=str(row_id) if row_id is not None else None)
