"""The web chat's transcript in the database, and the outbox sender that writes into it.

A web page cannot be pushed to, so the outbox's "web" sender delivers by storing the message;
the page asks for messages newer than the last it has (polling). The browser's token is never
stored: the chat id is a hash of it. Tokens are made and signed by the server (HMAC with the
session key), so a client cannot make up chats to get round the per-chat limits.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from bot.accounts.models import WebChatMessage
from bot.db.engine import Database
from bot.db.models import Chat, DecisionLog, Feedback, utcnow
from bot.messages import Reply
from bot.text_input import parse_id
from bot.tickets.models import Ticket
from bot.tickets.outbox import Delivery, OutboxItem, payload_reply

CHANNEL = "web"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{64}$")  # 32 characters of nonce, 32 of signature
PAGE = 200  # messages per poll at most


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


def message_json(row: WebChatMessage) -> dict:
    return {"id": row.id, "role": row.role, "at": row.created_at.isoformat(timespec="seconds"), **row.payload}


class WebChatStore:
    """The messages of each web chat, oldest first."""

    def __init__(self, database: Database):
        self.database = database

    async def add(self, chat_id: str, role: str, payload: dict) -> int:
        async with self.database.transaction() as session:
            row = WebChatMessage(chat_id=chat_id, role=role, payload=payload, created_at=utcnow())
            session.add(row)
            await session.flush()
            return row.id

    async def add_delivered(self, chat_id: str, payload: dict, outbox_id: int) -> int | None:
        """Store an outbox message once, however often it is delivered; returns the row id."""
        insert = (postgresql.insert if self.database.dialect == "postgresql" else sqlite.insert)(WebChatMessage)
        statement = insert.values(
            chat_id=chat_id, role="team", payload=payload, outbox_id=outbox_id, created_at=utcnow()
        ).on_conflict_do_nothing(index_elements=["outbox_id"])
        async with self.database.transaction() as session:
            await session.execute(statement)
            return (
                await session.execute(select(WebChatMessage.id).where(WebChatMessage.outbox_id == outbox_id))
            ).scalar_one_or_none()

    async def since(self, chat_id: str, after: int = 0) -> list[dict]:
        async with self.database.read() as session:
            rows = (
                await session.execute(
                    select(WebChatMessage)
                    .where(WebChatMessage.chat_id == chat_id, WebChatMessage.id > after)
                    .order_by(WebChatMessage.id)
                    .limit(PAGE)
                )
            ).scalars()
            return [message_json(row) for row in rows]

    async def tickets_since(self, since: datetime) -> int:
        """Tickets opened from web chats since then (the global hand-over budget, across processes)."""
        async with self.database.read() as session:
            return (
                await session.execute(
                    select(func.count())
                    .select_from(Ticket)
                    .where(Ticket.channel == CHANNEL, Ticket.created_at >= since)
                )
            ).scalar_one()

    async def voted(self, chat_id: str, payload: str) -> bool:
        """Whether the chat has rated this answer already ("fb:u:<topic>:<decision>"): one vote per answer."""
        _, _, ref = payload.partition(":")[2].partition(":")
        faq_id, _, decision = ref.partition(":")
        decision_id = parse_id(decision)
        async with self.database.read() as session:
            query = (
                select(Feedback.id)
                .join(Chat, Chat.id == Feedback.chat_id)
                .where(Chat.channel == CHANNEL, Chat.external_id == chat_id, Feedback.faq_id == faq_id)
            )
            if decision_id is not None:
                query = query.join(DecisionLog, DecisionLog.id == Feedback.decision_id).where(
                    DecisionLog.id == decision_id
                )
            return (await session.execute(query.limit(1))).first() is not None

    async def delete_chat(self, chat_id: str) -> None:
        async with self.database.transaction() as session:
            await session.execute(delete(WebChatMessage).where(WebChatMessage.chat_id == chat_id))

    async def prune(self, older_than: timedelta, now: datetime | None = None) -> int:
        """Forget transcripts' messages older than the retention (config web.chat_retention_days)."""
        cutoff = (now or utcnow()) - older_than
        async with self.database.transaction() as session:
            deleted = await session.execute(delete(WebChatMessage).where(WebChatMessage.created_at < cutoff))
            return cast(CursorResult[Any], deleted).rowcount


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
