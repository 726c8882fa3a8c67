"""Per-chat order and flood control: in one process (SQLite), or across processes (PostgreSQL).

A chat's updates are processed one at a time and in the order they arrive, different chats in
parallel. In one process an asyncio lock per chat does that. Several processes behind one webhook
URL share a PostgreSQL database: there a chat's turn is also a transaction holding the chat's
advisory lock (`pg_advisory_xact_lock`), so a second process waits for the first (PostgreSQL grants
waiting locks first come, first served). The same transaction records the update in the inbox: it
counts as taken on only when its turn commits, so the update of a process killed mid-way is
processed again when Telegram redelivers it (to another process) instead of being lost.

Flood control counts a chat's answered messages in a sliding window: in memory per process
(`handlers.telegram.FloodGuard`), or in the chat_floods table, shared, on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database
from bot.db.turns import flood_state, save_flood_state, take_turn

Verdict = Literal["ok", "note", "drop"]
# The session of the chat turn the current task holds (PostgreSQL): the flood check runs on its
# connection, in its transaction, instead of taking a second connection and two more round trips.
_turn_session: ContextVar[AsyncSession | None] = ContextVar("turn_session", default=None)


class ChatTurns:
    """One process: a chat's updates one after the other, in arrival order; other chats in parallel."""

    #: True when `turn` records the update in the inbox itself (the channel then skips its own check).
    claims_updates = False
    shared = False

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def _local(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:  # nobody waits: forget the chat
                del self._users[key], self._locks[key]

    @asynccontextmanager
    async def turn(self, channel: str, chat_id: str, update_id: str) -> AsyncIterator[bool]:
        """Hold the chat's turn while the block processes update `update_id`; yields True (new update)."""
        async with self._local(f"{channel}:{chat_id}"):
            yield True


class SharedChatTurns(ChatTurns):
    """Several processes on one PostgreSQL database: a chat's turn is also its advisory lock.

    Each turn holds one database connection; `max_held` turns at once (2 x pool_size) leave the
    rest of the pool (pool_size + overflow = 3 x pool_size) to the work done inside them.
    """

    claims_updates = True
    shared = True

    def __init__(self, database: Database, max_held: int):
        super().__init__()
        self.database = database
        self._held = asyncio.Semaphore(max_held)

    @asynccontextmanager
    async def turn(self, channel: str, chat_id: str, update_id: str) -> AsyncIterator[bool]:
        """Yields False for an update processed before (a redelivery): the block should skip it.

        The turn commits when the block ends. Only an exception out of the block rolls the claim
        back (PTB hands a failing handler's errors to the error handler, so that is a cancellation:
        a stop or a crash), and the redelivered update is then processed again.
        """
        # the process's own queue first: one connection per chat waiting, not one per update
        async with self._local(f"{channel}:{chat_id}"), self._held, self.database.transaction() as session:
            new = await take_turn(session, channel, chat_id, update_id)
            token = _turn_session.set(session)
            try:
                yield new
            finally:
                _turn_session.reset(token)


def turns_for(database: Database, pool_size: int) -> ChatTurns:
    """The chat turns a runtime on `database` needs: shared on PostgreSQL, in-process on SQLite."""
    return SharedChatTurns(database, max_held=2 * pool_size) if database.dialect == "postgresql" else ChatTurns()


def flood_verdict(
    answered: list[float], noted: bool, now: float, max_messages: int, window: float
) -> tuple[Verdict, list[float], bool]:
    """The sliding window: at most `max_messages` answered in `window` seconds; one note, then silence.

    Returns the verdict and the chat's new state (answered times within the window, noted).
    """
    answered = [at for at in answered if at > now - window]
    if len(answered) < max_messages:
        return "ok", [*answered, now], False
    if noted:
        return "drop", answered, True
    return "note", answered, True


class SharedFloodGuard:
    """Flood control counted in the database, so that all processes see one count per chat.

    A chat's updates take turns (SharedChatTurns), so its row is never contended; the row lock
    only guards against a caller outside a turn. Wall-clock times: processes on several hosts
    need synchronised clocks (NTP), as PostgreSQL's own timestamps do.
    """

    def __init__(
        self,
        database: Database,
        channel: str,
        max_messages: int,
        window_seconds: float,
        clock: Callable[[], float] = time.time,
    ):
        self.database = database
        self.channel = channel
        self.max_messages = max_messages
        self.window = window_seconds
        self.clock = clock

    async def verdict(self, chat_id: str) -> Verdict:
        session = _turn_session.get()
        if session is not None:  # within the chat's turn: in its transaction
            return await self._verdict(session, chat_id)
        async with self.database.transaction() as session:
            return await self._verdict(session, chat_id)

    async def _verdict(self, session: AsyncSession, chat_id: str) -> Verdict:
        answered, noted = await flood_state(session, self.channel, chat_id)
        verdict, answered, noted = flood_verdict(answered, noted, self.clock(), self.max_messages, self.window)
        await save_flood_state(session, self.channel, chat_id, answered, noted)
        return verdict
