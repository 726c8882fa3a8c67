"""Migrations 0002 and 0008 create exactly what bot/tickets/models.py describes, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.db import Base

TICKET_TABLES = {"tickets", "ticket_messages", "ticket_events", "outbox", "conversation_states", "team_files"}


def _differences(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return compare_metadata(context, Base.metadata)


def _table_of(diff) -> str | None:
    for part in diff if isinstance(diff, list) else [diff]:
        for item in part[1:] if isinstance(part, tuple) else ():
            name = getattr(item, "name", None) if not isinstance(item, str) else None
            table = getattr(item, "table", None)
            if table is not None and getattr(table, "name", None):
                return table.name
            if isinstance(item, str) and item in TICKET_TABLES:
                return item
            if name in TICKET_TABLES:
                return name
    return None


async def test_migration_matches_the_models(database):
    async with database.engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    mine = [d for d in differences if _table_of(d) in TICKET_TABLES]
    assert mine == []
    async with database.engine.connect() as connection:
        tables = set(await connection.run_sync(lambda c: c.dialect.get_table_names(c)))
    assert TICKET_TABLES <= tables
