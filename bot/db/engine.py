"""The one database engine of a running bot: created at start, disposed at stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 5000
# At stop: how long a background task may take to finish its transaction before it is cancelled in
# it anyway, and how long dispose waits for the transactions of other tasks (a webhook's update).
STOP_WITHIN_SECONDS = 10.0


class DatabaseError(Exception):
    """The database cannot be used as configured; the message says what to do."""


def default_url(base_dir: Path) -> str:
    """The SQLite file the bot uses when nothing else is configured."""
    return f"sqlite+aiosqlite:///{(base_dir / 'var' / 'lotse.db').resolve()}"


def redacted(url: str | URL) -> str:
    """The URL without its password, for logs and error messages."""
    return make_url(url).render_as_string(hide_password=True)


def ensure_sqlite_file(url: str | URL) -> None:
    """Create a SQLite file database's folder, and the file readable by its owner only (0600).

    SQLite creates the file, not its folder, and with the process's umask (often world-readable);
    the file holds employers' questions and contact details.
    """
    url = make_url(url)
    if (
        url.get_backend_name() != "sqlite"
        or not url.database
        or url.database == ":memory:"
        or url.database.startswith("file:")
    ):
        return
    path = Path(url.database).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))


def _sqlite_hooks(engine: Engine) -> None:
    """WAL, a busy timeout and foreign keys on every connection; real BEGINs (tech-notes 5.1).

    The sqlite3 driver's legacy transaction handling emits no BEGIN before SELECTs, so reads are
    not repeatable and SAVEPOINTs misbehave; taking over BEGIN ourselves fixes both.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; a crash loses at most the last commit
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        connection.exec_driver_sql("BEGIN")


class _WriterTurn:
    """An asyncio lock that the task holding it may enter again (nested `transaction()` blocks)."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task | None = None
        self._depth = 0

    async def __aenter__(self) -> None:
        task = asyncio.current_task()
        if self._owner is not task:
            await self._lock.acquire()
            self._owner = task
        self._depth += 1

    async def __aexit__(self, *exc) -> None:
        self._depth -= 1
        if not self._depth:
            self._owner = None
            self._lock.release()


class Database:
    """Owns the one engine of a database and hands out sessions: `transaction()` to write, `read()` to read.

    SQLite has one writer at a time: `transaction()` queues this process's writers in asyncio
    (fair and cheap) instead of letting them collide in SQLite, where a transaction that read
    first and then writes fails with "database is locked" when another wrote in between, and
    where the busy handler sleeps. `read()` takes no turn (WAL lets it read beside the writer).
    On PostgreSQL both are plain transactions.
    """

    @classmethod
    def for_config(cls, config) -> Database:
        """The database config.yml's `database:` section names (a SQLite file under var/ by default)."""
        settings = config.database
        return cls(settings.url or default_url(config.base_dir), echo=settings.echo, pool_size=settings.pool_size)

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 5):
        self.url = make_url(url)
        self.dialect = self.url.get_backend_name()
        # hide_parameters: an error's log line never carries a question, a company or an e-mail address
        options: dict = {"echo": echo, "pool_pre_ping": self.dialect != "sqlite", "hide_parameters": True}
        if self.dialect == "sqlite":
            ensure_sqlite_file(self.url)
        if self.url.database != ":memory:":
            options |= {"pool_size": pool_size, "max_overflow": pool_size * 2}
        self.engine: AsyncEngine = create_async_engine(self.url, **options)
        if self.dialect == "sqlite":
            _sqlite_hooks(self.engine.sync_engine)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._writer = _WriterTurn() if self.dialect == "sqlite" else contextlib.nullcontext()
        self._open: dict[asyncio.Task, int] = {}  # task -> depth of its transaction()/read() blocks
        self._waiting: set[asyncio.Event] = set()  # set when a task's outermost block ends

    def __repr__(self) -> str:
        return f"Database({redacted(self.url)!r})"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction that may write: committed when the block ends, rolled back on an error."""
        async with self._writer, self._in_transaction(), self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction that only reads (it does not wait for SQLite's writer)."""
        async with self._in_transaction(), self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def _in_transaction(self) -> AsyncIterator[None]:
        """Marks the current task as inside a transaction until its session is closed (outermost block)."""
        task = asyncio.current_task()
        assert task is not None  # database work always runs in a task
        self._open[task] = self._open.get(task, 0) + 1
        try:
            yield
        finally:
            depth = self._open.pop(task) - 1
            if depth:
                self._open[task] = depth
            else:
                for event in self._waiting:
                    event.set()

    async def _until_none(self, inside: Callable[[], set[asyncio.Task]], within: float) -> set[asyncio.Task]:
        """Wait until `inside()`, asked again each time a transaction ends, is empty, at most `within` seconds.

        Returns what `inside()` still gives then.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while (left := inside()) and (remaining := deadline - loop.time()) > 0:
            ended = asyncio.Event()
            self._waiting.add(ended)
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(ended.wait(), remaining)
            finally:
                self._waiting.discard(ended)
        return left

    async def cancel_between_transactions(
        self, tasks: Iterable[asyncio.Task], within: float = STOP_WITHIN_SECONDS
    ) -> None:
        """Cancel `tasks` (background loops, at stop), each once it is outside a transaction, and wait for them.

        A task cancelled inside one abandons the driver mid-call: aiosqlite then finishes opening or
        closing a connection in its thread after the engine, and even the event loop, are gone. A task
        still inside after `within` seconds is cancelled there anyway.
        """
        tasks = list(tasks)
        pending = {task for task in tasks if not task.done()}

        def inside() -> set[asyncio.Task]:
            for task in [task for task in pending if task not in self._open]:
                task.cancel()  # suspended outside a transaction: the cancellation lands there
                pending.discard(task)
            return pending

        for task in await self._until_none(inside, within):
            log.warning("%s still in a transaction after %.0f s of stopping; cancelled in it", task.get_name(), within)
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def ping(self) -> bool:
        """True if the database answers."""
        try:
            async with self._in_transaction(), self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            return True
        except Exception:  # a health check reports, it does not raise
            log.warning("database ping failed", exc_info=True)
            return False

    async def dispose(self, within: float = STOP_WITHIN_SECONDS) -> None:
        """Close the pool's connections once other tasks' transactions have ended (at most `within` seconds)."""
        current = asyncio.current_task()
        left = await self._until_none(lambda: {task for task in self._open if task is not current}, within)
        if left:
            log.warning("disposing the database engine with %d transactions still open", len(left))
        await self.engine.dispose()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.dispose()
