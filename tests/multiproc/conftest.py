"""Several processes on one PostgreSQL database: its server (tests/tickets/pgserver.py) and a fresh schema."""

from __future__ import annotations

import pytest

from tests.tickets.conftest import empty_schema, postgres_url  # noqa: F401 (the session's server, as a fixture)


@pytest.fixture
async def pg_url(postgres_url) -> str:  # noqa: F811
    """The test server with an empty schema (every test migrates it afresh)."""
    await empty_schema(postgres_url)
    return postgres_url
