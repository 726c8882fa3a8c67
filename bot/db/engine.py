"""The one database engine of a running bot: created at start, disposed at stop."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import Select, create_engine, event, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import MultipleResultsFound, NoResultFound, OperationalError
from sqlalchemy.pool import StaticPool
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 5000
# Execution option of `Database.statement()` connections: on SQLite no BEGIN, the statement commits itself.
ONE_STATEMENT = "lotse_one_statement"


class DatabaseError(Exception):
    """The database cannot be used as configured; the message says what to do."""


def default_url(base_dir: Path) -> str:
    """The SQLite file the bot uses when nothing else is configured."""
    return f"sqlite+aiosqlite:///{(base_dir / 'var' / 'lotse.db').resolve()}"


def redacted(url: str | URL) -> str:
    """The URL without its password, for logs and error messages."""
    return make_url(url).render_as_string(hide_password=True)


def ensure_sqlite_folder(url: str | URL) -> None:
    """Create the folder of a SQLite file database (SQLite creates the file, not its folder)."""
    url = make_url(url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


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
        if not connection.get_execution_options().get(ONE_STATEMENT):
            connection.exec_driver_sql("BEGIN")


class _WriterTurn:
    """An asyncio lock that the task holding it may enter again (nested `transaction()` blocks)."""

    def __init__(self):
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


_NO_TURN = contextlib.nullcontext()


T = TypeVar("T")


def _sync_sqlite_engine(url: URL) -> Engine:
    """A plain (sqlite3) engine on the same file, one connection, usable from another thread."""
    return create_engine(url.set(drivername="sqlite+pysqlite"), poolclass=StaticPool,
                         connect_args={"check_same_thread": False})


class _ThreadWriter:
    """SQLite: a connection of its own in a thread of its own, for the batched writes of every update.

    Through aiosqlite every statement is four or five hand-offs between the event loop and the
    driver's thread; here a whole transaction is one (`Database.run_write`). It takes the same
    writer turn as every other writer of this process, and waits for other processes in SQLite's
    busy handler, in its thread, like aiosqlite does.
    """

    def __init__(self, url: URL):
        self.engine = _sync_sqlite_engine(url)
        _sqlite_hooks(self.engine)
        self._executor: ThreadPoolExecutor | None = None

    async def run(self, work: Callable[[Connection], T]) -> T:
        if self._executor is None:  # started on first use, stopped by close()
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lotse-sqlite-writer")
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._transaction, work)

    def _transaction(self, work: Callable[[Connection], T]) -> T:
        with self.engine.begin() as connection:
            return work(connection)

    async def close(self) -> None:
        if self._executor is not None:
            executor, self._executor = self._executor, None
            await asyncio.get_running_loop().run_in_executor(executor, self.engine.dispose)
            executor.shutdown(wait=False)


class _InlineReader:
    """Runs a read-only statement on SQLite in the event loop's own thread.

    Through aiosqlite every statement is four or five hand-offs to its thread and back (cursor,
    execute, fetch, close, reset), each a thread wake-up and a loop wake-up: under load about
    0.1 ms of CPU apiece, while SQLite answers a lookup by key in microseconds. The read on every
    update (the chat's language, flow state and open ticket) therefore runs here, synchronously.

    It cannot block the loop on a lock: WAL lets it read while another connection writes, its
    busy timeout is 0, and when SQLite answers "busy" anyway (a crashed process's WAL being
    recovered, another process holding an exclusive lock) the read goes through aiosqlite, which
    waits in its own thread. It cannot write (PRAGMA query_only). Not used for ":memory:" databases,
    where every connection has a database of its own.
    """

    def __init__(self, url: URL, fallback: AsyncEngine):
        self.engine = _sync_sqlite_engine(url)
        self._fallback = fallback
        self._plans: dict = {}
        self._connection = None

        @event.listens_for(self.engine, "connect")
        def _connect(dbapi_connection, _record) -> None:
            dbapi_connection.isolation_level = None  # autocommit: no read transaction left open
            dbapi_connection.execute("PRAGMA busy_timeout=0")
            dbapi_connection.execute("PRAGMA query_only=ON")

    async def execute(self, statement, parameters=None):
        """Like AsyncConnection.execute for one SELECT: a result with all rows fetched."""
        try:
            plan = self._plans.get(statement)
            if plan is None:
                if len(self._plans) >= 256:  # callers pass statements built once; this only bounds mistakes
                    self._plans.clear()
                plan = self._plans[statement] = _Plan.of(statement, self.engine.dialect)
            if plan is not _NO_PLAN:
                return plan.run(self._raw(), parameters or {})
            with self.engine.connect() as connection:
                return connection.execute(statement, parameters).freeze()()
        except (OperationalError, sqlite3.OperationalError) as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            log.debug("SQLite busy for the inline read; reading through aiosqlite")
        async with self._fallback.connect() as connection:
            return await connection.execute(statement, parameters)

    def _raw(self) -> sqlite3.Connection:
        if self._connection is None:  # the pool's one connection, with the pragmas above, kept checked out
            self._connection = self.engine.raw_connection()
        return self._connection.driver_connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self.engine.dispose()


class _Plan:
    """A SELECT compiled once and run on the sqlite3 connection directly.

    SQLAlchemy's execution (context, cursor wrapper, result object) costs several times what
    SQLite takes for a lookup by key; for the read on every update that was a tenth of the event
    loop's time. The plan keeps SQLAlchemy's SQL, its parameter processing and its result
    processing (JSON columns and the like); statements it cannot run so (post-compiled parameters
    such as IN lists) go the normal way. Tests compare both ways.
    """

    def __init__(self, sql, names, fixed, binds, keys, processors):
        self.sql, self.names, self.fixed, self.binds = sql, names, fixed, binds
        self.row = collections.namedtuple("Row", keys, rename=True)
        self.processors = processors

    @classmethod
    def of(cls, statement, dialect):
        if not isinstance(statement, Select):
            return _NO_PLAN
        compiled = statement.compile(dialect=dialect)
        if getattr(compiled, "post_compile_params", None) or getattr(compiled, "literal_execute_params", None):
            return _NO_PLAN
        binds = {name: bind.type.dialect_impl(dialect).bind_processor(dialect) for name, bind in compiled.binds.items()}
        columns = list(statement.selected_columns)
        return cls(compiled.string, tuple(compiled.positiontup or ()), dict(compiled.params), binds,
                   [column.key for column in columns],
                   tuple(column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns))

    def run(self, connection: sqlite3.Connection, parameters: dict) -> _Rows:
        values = self.fixed | parameters
        arguments = []
        for name in self.names:
            value, process = values[name], self.binds.get(name)
            arguments.append(process(value) if process is not None else value)
        rows = connection.execute(self.sql, arguments).fetchall()
        processors = self.processors
        return _Rows([self.row._make([value if process is None else process(value)
                                      for value, process in zip(row, processors)]) for row in rows])


_NO_PLAN = object()


class _Rows:
    """The part of SQLAlchemy's Result that the inline reads use, over fetched rows."""

    def __init__(self, rows: list):
        self._rows = rows

    def all(self) -> list:
        return list(self._rows)

    def __iter__(self):
        return iter(self._rows)

    def one(self):
        if len(self._rows) != 1:
            raise (NoResultFound("No row was found when one was required") if not self._rows
                   else MultipleResultsFound("Multiple rows were found when exactly one was required"))
        return self._rows[0]

    def one_or_none(self):
        if len(self._rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when one or none was required")
        return self._rows[0] if self._rows else None

    def scalar_one_or_none(self):
        row = self.one_or_none()
        return None if row is None else row[0]


class Database:
    """Owns the engine and hands out sessions.

    SQLite has one writer at a time: `transaction()` queues writers in asyncio (fair and cheap)
    instead of letting them spin in SQLite's busy handler, which under load means long sleeps and
    "database is locked". `read()` takes no turn. On PostgreSQL both are plain transactions.
    """

    @classmethod
    def for_config(cls, config) -> Database:
        """The database config.yml's `database:` section names (a SQLite file under var/ by default)."""
        settings = config.database
        return cls(settings.url or default_url(config.base_dir), echo=settings.echo, pool_size=settings.pool_size)

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 5):
        self.url = make_url(url)
        self.dialect = self.url.get_backend_name()
        options: dict = {"echo": echo, "pool_pre_ping": self.dialect != "sqlite"}
        if self.dialect == "sqlite":
            ensure_sqlite_folder(self.url)
        if self.url.database != ":memory:":
            options |= {"pool_size": pool_size, "max_overflow": pool_size * 2}
        self.engine: AsyncEngine = create_async_engine(self.url, **options)
        if self.dialect == "sqlite":
            _sqlite_hooks(self.engine.sync_engine)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        file = self.dialect == "sqlite" and self.url.database not in (None, "", ":memory:")
        self._inline_reader = _InlineReader(self.url, self.engine) if file else None
        self._thread_writer = _ThreadWriter(self.url) if file else None
        self._writer = _WriterTurn() if self.dialect == "sqlite" else contextlib.nullcontext()
        # One statement is atomic by itself: in autocommit mode it needs no BEGIN and COMMIT, which on
        # SQLite are three more hops to aiosqlite's thread and on PostgreSQL two more round trips.
        self._one_statement = self.engine.execution_options(
            **({ONE_STATEMENT: True} if self.dialect == "sqlite" else {"isolation_level": "AUTOCOMMIT"}))

    def __repr__(self) -> str:
        return f"Database({redacted(self.url)!r})"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction that may write: committed when the block ends, rolled back on an error."""
        async with self._writer, self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction that only reads (it does not wait for SQLite's writer)."""
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def begin(self, write: bool = True) -> AsyncIterator[AsyncConnection]:
        """A Core connection in a transaction, for the statements run on every update.

        The same rules as `transaction()` (write) and `read()` (write=False), without an ORM
        session: no identity map, no unit-of-work flush, about half the CPU per transaction.
        """
        async with self._writer if write else _NO_TURN, self.engine.begin() as connection:
            yield connection

    @asynccontextmanager
    async def statement(self, write: bool = True) -> AsyncIterator[AsyncConnection]:
        """A Core connection for exactly one statement, which commits by itself (autocommit).

        For single INSERTs and SELECTs (the per-update group commits use `run_write`); a SQLite
        writer still waits for its turn. Run one statement only: two would not be one transaction. There is nothing left to
        commit afterwards, so none is sent (the pool's reset on return rolls back nothing).
        A read on SQLite runs in the event loop's thread (`_InlineReader`): yields something with
        the `execute` of an AsyncConnection only.
        """
        if not write and self._inline_reader is not None:
            yield self._inline_reader
            return
        async with self._writer if write else _NO_TURN, self._one_statement.connect() as connection:
            yield connection

    async def run_write(self, work: Callable[[Connection], T], *, one_statement: bool = False) -> T:
        """Run `work(connection)`, a plain function, in one transaction that may write; return its result.

        For the group commits of every update (bot/db/batch.py). On a SQLite file it runs in a
        thread of its own (`_ThreadWriter`): one hand-off for the whole transaction. Elsewhere
        through `AsyncConnection.run_sync`, in this task; with `one_statement` (work runs exactly
        one statement) in autocommit, as `statement()`: no BEGIN and COMMIT round trips.
        """
        if self._thread_writer is not None:
            async with self._writer:
                return await self._thread_writer.run(work)
        if one_statement:
            async with self.statement() as connection:
                return await connection.run_sync(work)
        async with self.begin() as connection:
            return await connection.run_sync(work)

    async def ping(self) -> bool:
        """True if the database answers."""
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            return True
        except Exception:  # a health check reports, it does not raise
            log.warning("database ping failed", exc_info=True)
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._inline_reader is not None:
            self._inline_reader.close()
        if self._thread_writer is not None:
            await self._thread_writer.close()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.dispose()
