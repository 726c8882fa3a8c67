"""What happened to the messages Lotse sent on WhatsApp: the delivery records (one per wamid), the
status webhooks that move them forward, and what a failure means for its outbox row (131047 goes
the template way once; anything else fails it, with the reason the console shows)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.engine import Database
from bot.tickets.models import FAILED, PENDING, OutboxMessage
from bot.window.models import CHATS, DELIVERIES, RANKS, WhatsAppChat, WhatsAppConversion, WhatsAppDelivery

log = logging.getLogger(__name__)

WINDOW_CLOSED = 131047


def _record(insert):
    """A delivery record; a status that came first (kind "unknown") gets the row and the kind."""
    statement = insert(DELIVERIES)
    return statement.on_conflict_do_update(
        index_elements=["wamid"], set_={"outbox_id": statement.excluded.outbox_id, "kind": statement.excluded.kind}
    )


_RECORD = {"postgresql": _record(postgresql.insert), "sqlite": _record(sqlite.insert)}  # built once: every send


@dataclass(frozen=True)
class Sent:
    """One message WhatsApp accepted."""

    wamid: str
    kind: str  # text | interactive | template | document | image
    choices: list[str] | None | bool = False  # what typed numbers stand for now (None: nothing); False: unchanged


def _insert(database, model):
    return (postgresql.insert if database.dialect == "postgresql" else sqlite.insert)(model)


class Deliveries:
    """Part of WindowService (bot/window/service.py): its database, clock and on_release."""

    database: Database
    clock: Callable[[], datetime]
    on_release: Callable[[], None]

    async def template_sent(self, chat_id: str, problem: str | None = None) -> None:
        raise NotImplementedError  # WindowService's

    async def _update_chat(self, chat_id: str, **values) -> bool:
        raise NotImplementedError  # WindowService's

    async def record(self, outbox_id: int | None, window, sent: Sequence[Sent]) -> None:
        """Messages WhatsApp accepted, in a transaction of their own (see `write_records`)."""
        async with self.database.transaction() as session:
            await self.write_records(session, outbox_id, window, sent)

    async def write_records(self, session: AsyncSession, outbox_id: int | None, window, sent: Sequence[Sent]) -> None:
        """Messages WhatsApp accepted (to `window`'s chat, as `plan` read it), in the caller's transaction;
        a status that came first is kept."""
        if not window.known:
            return  # the chat was erased (/delete): its confirmation leaves no record behind
        now = self.clock()
        rows = [
            {
                "wamid": part.wamid,
                "outbox_id": outbox_id,
                "chat_id": window.chat_id,
                "kind": part.kind,
                "status": "accepted",
                "rank": 0,
                "created_at": now,
                "updated_at": now,
            }
            for part in sent
        ]
        if rows:
            await session.execute(_RECORD[self.database.dialect], rows)
        changed = [part.choices or None for part in sent if part.choices is not False]
        changed = [choices for choices in changed if choices or window.has_choices]
        if changed:  # the last one counts
            await session.execute(update(CHATS).where(CHATS.c.chat_id == window.chat_id).values(choices=changed[-1]))

    async def status(
        self,
        wamid: str,
        status: str,
        chat_id: str,
        at: datetime,
        error_code: int | None = None,
        error_title: str | None = None,
    ) -> str | None:
        """A status webhook: the delivery moves forward only; a failure fails (or converts) its outbox row.

        Returns:
            "converted" (131047, first time), "failed", or None (nothing for the outbox).
        """
        rank = RANKS.get(status)
        if rank is None:
            return None
        now = self.clock()
        values = {
            "status": status,
            "rank": rank,
            "error_code": error_code,
            "error_title": error_title,
            "updated_at": now,
        }
        async with self.database.transaction() as session:
            moved = (
                await session.execute(
                    update(WhatsAppDelivery)
                    .where(WhatsAppDelivery.wamid == wamid, WhatsAppDelivery.rank < rank)
                    .values(**values)
                    .returning(WhatsAppDelivery.outbox_id, WhatsAppDelivery.kind, WhatsAppDelivery.chat_id)
                )
            ).first()
            if moved is None and await session.get(WhatsAppChat, chat_id) is not None:
                # A status before the sender recorded its message (or a duplicate, then nothing happens).
                await session.execute(
                    _insert(self.database, WhatsAppDelivery)
                    .values(wamid=wamid, chat_id=chat_id, kind="unknown", created_at=now, **values)
                    .on_conflict_do_nothing()
                )
        if moved is None or status != "failed":
            return None  # a duplicate, a late report of an earlier state, or a message not (yet) recorded
        outbox_id, kind, chat_id = moved
        if kind == "template":  # the notification did not reach the employer: the answer needs them to write
            await self.template_sent(chat_id, f"{error_code} {error_title or ''}".strip())
            return None
        if outbox_id is None:
            return None
        if error_code == WINDOW_CLOSED and kind != "template":
            await self._update_chat(chat_id, closed_at=at)
            if await self.convert(outbox_id):
                return "converted"
        await self.fail(outbox_id, f"{error_code} {error_title or ''}".strip())
        return "failed"

    async def convert(self, outbox_id: int) -> bool:
        """Send the row again, the template way (once): False if it was converted before."""
        now = self.clock()
        async with self.database.transaction() as session:
            first = (
                await session.execute(
                    _insert(self.database, WhatsAppConversion)
                    .values(outbox_id=outbox_id, converted_at=now)
                    .on_conflict_do_nothing()
                    .returning(WhatsAppConversion.outbox_id)
                )
            ).first()
            if first is None:
                return False
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == outbox_id)
                .values(
                    status=PENDING,
                    next_attempt_at=now,
                    locked_until=None,
                    locked_by=None,
                    last_error="131047: the 24-hour window had closed; sent the template way",
                )
            )
        log.info("outbox %s: 131047, converted to the template path", outbox_id)
        self.on_release()
        return True

    async def fail(self, outbox_id: int, reason: str) -> None:
        async with self.database.transaction() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == outbox_id)
                .values(status=FAILED, locked_until=None, locked_by=None, last_error=reason[:2000])
            )
