"""Ticket changes as they happen, for the live console: read from the audit trail, fanned out per process.

Every change to a ticket writes a row of `ticket_events` in the same transaction (bot/tickets/service.py),
whichever process made it. So the feed reads that table, from the highest id it has seen, at a short
interval (`poll_seconds`): one cheap query per process (a range on the primary key), however many
consoles listen, and none while nobody listens. It works the same on SQLite and PostgreSQL, and a
change made in another process behind the proxy arrives as quickly as one made here. `poke()` makes
the next read happen at once (a change in this process).

Why not PostgreSQL's LISTEN/NOTIFY: it needs a connection held open per process outside the pool,
has no SQLite counterpart, and loses what was sent while that connection was being re-established;
the audit trail is already written and indexed, and reading it again after a gap loses nothing.

On PostgreSQL, ids come from a sequence when a row is inserted, not when it commits, so a slow
transaction can commit an id below one already read. The feed therefore reads again a window of
`LOOKBACK` ids below its highest and hands on only the rows it has not seen.

What a listener may see is decided per change and per account (`ConsoleEvent.for_teams`): a change
of a ticket of one of its teams, or that a ticket left its teams by a hand-over. Nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

from sqlalchemy import func, select

from bot.db.engine import Database
from bot.tickets.models import Ticket, TicketEvent

log = logging.getLogger(__name__)

LOOKBACK = 100  # ids below the highest seen that are read again (transactions committing out of id order)
BATCH = 500  # rows per read; a longer backlog is read in several rounds
LISTENER_BACKLOG = 1000  # changes kept for a listener that does not read them (then it is told to reload)


@dataclass(frozen=True)
class TicketChange:
    """One row of the audit trail, with the ticket's team and status now."""

    id: int
    ticket_id: int
    action: str  # opened | employer_message | reopened | handed_over | claimed | answered | closed | ...
    team: str
    status: str
    from_team: str | None = None  # a hand-over: the team the ticket left
    deleted: bool = False


@dataclass(frozen=True)
class ConsoleEvent:
    """What one account's console is told about a change: `ticket` (refresh it) or `gone` (remove it)."""

    kind: str
    id: int
    ticket_id: int
    action: str
    team: str
    status: str

    @classmethod
    def for_teams(cls, change: TicketChange, teams: Iterable[str]) -> ConsoleEvent | None:
        """The event for an account of `teams`; None when the change is none of its business."""
        teams = frozenset(teams)
        if change.team in teams:
            kind = "gone" if change.deleted else "ticket"
            return cls(kind, change.id, change.ticket_id, change.action, change.team, change.status)
        if change.action == "handed_over" and change.from_team in teams:
            # The ticket left this account's teams: it learns only that, not where it went or how it goes on.
            return cls("gone", change.id, change.ticket_id, change.action, change.from_team, "")
        return None

    def data(self) -> dict:
        return {"ticket": self.ticket_id, "action": self.action, "team": self.team, "status": self.status}


async def latest_change_id(database: Database) -> int:
    async with database.read() as session:
        return int((await session.execute(select(func.max(TicketEvent.id)))).scalar_one_or_none() or 0)


async def changes_after(database: Database, after: int, limit: int = BATCH) -> list[TicketChange]:
    """Audit rows with an id above `after`, oldest first, with their ticket's current team and status."""
    query = (
        select(
            TicketEvent.id,
            TicketEvent.ticket_id,
            TicketEvent.action,
            TicketEvent.detail,
            Ticket.team,
            Ticket.status,
            Ticket.deleted_at,
        )
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(TicketEvent.id > after)
        .order_by(TicketEvent.id)
        .limit(limit)
    )
    async with database.read() as session:
        rows = (await session.execute(query)).all()
    return [
        TicketChange(
            row.id,
            row.ticket_id,
            row.action,
            row.team,
            row.status,
            str((row.detail or {}).get("from_team") or "") or None,
            row.deleted_at is not None,
        )
        for row in rows
    ]


class Listener:
    """One console's subscription: the changes since it subscribed, in order."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[TicketChange | None] = asyncio.Queue(LISTENER_BACKLOG)
        self.overflowed = False  # changes were dropped: the console should reload its queue
        self.closed = False  # the feed closed (the server shuts down): end the stream

    def put(self, change: TicketChange) -> None:
        try:
            self._queue.put_nowait(change)
        except asyncio.QueueFull:
            self.overflowed = True

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(asyncio.QueueFull):  # a full queue wakes the reader anyway
            self._queue.put_nowait(None)

    async def next(self, timeout: float) -> list[TicketChange]:
        """The changes waiting (at least one), or [] after `timeout` seconds without any or once closed."""
        try:
            first = await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return []
        changes = [first]
        while not self._queue.empty():
            changes.append(self._queue.get_nowait())
        return [change for change in changes if change is not None]


class TicketFeed:
    """Reads the audit trail for the process's listeners while there are any."""

    def __init__(self, database: Database, poll_seconds: float = 1.0):
        self.database = database
        self.poll_seconds = poll_seconds
        self._listeners: set[Listener] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._high = -1  # -1: not started; then the highest id seen
        self._seen: set[int] = set()
        self._started = asyncio.Event()  # the first read has set where the news begin
        self.reads = 0

    @contextlib.asynccontextmanager
    async def listen(self, wait_seconds: float = 10.0) -> AsyncIterator[Listener]:
        """Subscribe for the block's duration: every change after the block was entered reaches the listener.

        Entering waits (up to `wait_seconds`) for the feed's first read, so that a page loaded just
        before and refreshed when its stream opens misses nothing in between.
        """
        listener = Listener()
        self._listeners.add(listener)
        try:
            if self._task is None or self._task.done():
                self._task = asyncio.get_running_loop().create_task(self._run(), name="ticket-feed")
            self._wake.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._started.wait(), wait_seconds)
            yield listener
        finally:
            self._listeners.discard(listener)

    def poke(self) -> None:
        """A ticket changed in this process: read now rather than at the next interval."""
        self._wake.set()

    async def _run(self) -> None:
        while self._listeners:
            try:
                await self._read()
            except Exception:  # the database is briefly away: the consoles wait, nothing ends
                log.warning("reading ticket changes for the live console failed", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            self._wake.clear()
        # nobody listens: the next listener starts from its own present, not from here
        self._high = -1
        self._started.clear()

    async def _read(self) -> None:
        self.reads += 1
        if self._high < 0:  # the first read: what happened before anybody listened is not news
            high = await latest_change_id(self.database)
            self._seen = {c.id for c in await changes_after(self.database, high - LOOKBACK) if c.id <= high}
            self._high = high
            self._started.set()
            return
        while True:
            rows = await changes_after(self.database, self._high - LOOKBACK)
            fresh = [change for change in rows if change.id not in self._seen]
            for change in fresh:
                self._seen.add(change.id)
                for listener in list(self._listeners):
                    listener.put(change)
            if rows:
                self._high = max(self._high, rows[-1].id)
            self._seen = {i for i in self._seen if i > self._high - LOOKBACK}
            if len(rows) < BATCH:
                return

    async def close(self) -> None:
        """Stop reading and wake every listener with `closed` set."""
        for listener in self._listeners:
            listener.close()
        self._listeners.clear()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
