"""Schema migrations (Alembic, migrations/ in the repository) run from the bot itself."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.db.engine import Database, DatabaseError, redacted
from bot.metrics import MIGRATIONS as MIGRATIONS_RUN

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent.parent.parent / "migrations"


def open_database(config) -> Database:
    """The database of config.yml's `database:` section, or DatabaseError saying what to do.

    A SQLite file's folder is made when the database is opened; a folder that cannot be made
    (no such parent, no permission) is a configuration problem, not a crash.
    """
    try:
        return Database.for_config(config)
    except OSError as exc:
        raise DatabaseError(
            f"cannot create the SQLite file's folder ({exc.strerror or exc}: {exc.filename or ''}); "
            "set LOTSE_DATABASE_URL (or database.url in config.yml) to a file in a writable folder"
        ) from exc


def alembic_config(url: str) -> AlembicConfig:
    """Alembic's configuration without an alembic.ini: the script folder and the database URL."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # ConfigParser interpolates %
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


# Processes starting together on one PostgreSQL database migrate one after the other: the first
# upgrades, the others wait for this lock and then find the schema current (Alembic reads the
# version after the lock). Any fixed 64-bit number; the chat turns' keys are hashes (bot/db/turns.py).
MIGRATION_LOCK = 0x4C6F747365  # "Lotse"


def _upgrade(connection: Connection, config: AlembicConfig) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def current_revision(database: Database) -> str | None:
    async with database.engine.connect() as connection:
        return await connection.run_sync(_current)


async def upgrade(database: Database) -> None:
    """Bring the schema to the newest revision, in one transaction on the bot's own engine."""
    url = database.url.render_as_string(hide_password=False)
    async with database.engine.begin() as connection:
        await connection.run_sync(_upgrade, alembic_config(url))


async def prepare(database: Database, migrate: bool) -> None:
    """Make sure the schema is current before the bot serves anyone.

    Args:
        database: the bot's database.
        migrate: apply missing migrations (True) or only check and refuse (False).

    Raises:
        DatabaseError: unreachable, or behind the code's schema while `migrate` is off.
    """
    head = head_revision()
    try:
        current = await current_revision(database)
        if current == head:
            return
        if not migrate:
            raise DatabaseError(
                f"the database {redacted(database.url)} is at schema revision {current or '(empty)'}, "
                f"this version of Lotse needs {head}. Run `python -m bot.db upgrade`, or set "
                f"database.migrate: true in config.yml to migrate at start-up."
            )
        log.warning("migrating the database %s from %s to %s", redacted(database.url), current or "(empty)", head)
        await upgrade(database)
        MIGRATIONS_RUN.inc()
    except DatabaseError:
        raise
    except Exception as exc:  # driver errors differ per database; all mean "cannot use it"
        raise DatabaseError(f"cannot use the database {redacted(database.url)}: {exc}") from exc
