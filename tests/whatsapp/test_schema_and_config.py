"""Migration 0004 creates exactly what bot/window/models.py describes; the whatsapp settings take
their secrets and number from the environment only."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.config import ConfigError, load_config
from bot.db import Base, Database, prepare
from tests.conftest import ROOT

TABLES = {"whatsapp_chats", "whatsapp_deliveries", "whatsapp_conversions"}
ENV = {
    "WHATSAPP_ACCESS_TOKEN": "EAAG-token",
    "WHATSAPP_APP_SECRET": "app-secret",
    "WHATSAPP_VERIFY_TOKEN": "verify",
    "WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
}


def _mine(diff) -> bool:
    return any(name in repr(diff) for name in TABLES)


async def test_migration_matches_the_models(tmp_path):
    async with Database(f"sqlite+aiosqlite:///{tmp_path}/schema.db") as database:
        await prepare(database, migrate=True)
        async with database.engine.connect() as connection:
            differences = await connection.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c, opts={"compare_type": False}), Base.metadata)
            )
            tables = set(await connection.run_sync(lambda c: c.dialect.get_table_names(c)))
    assert [d for d in differences if _mine(d)] == []
    assert TABLES <= tables


def test_the_channel_is_on_with_the_access_token_and_needs_the_rest():
    off = load_config(ROOT / "config.yml", environ={})
    assert not off.whatsapp.enabled and off.whatsapp.graph_version == "v26.0"
    on = load_config(ROOT / "config.yml", environ=ENV)
    assert on.whatsapp.enabled
    assert on.whatsapp.messages_url == "https://graph.facebook.com/v26.0/106540352242922/messages"
    with pytest.raises(ConfigError, match="WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN"):
        load_config(ROOT / "config.yml", environ={"WHATSAPP_ACCESS_TOKEN": "x", "WHATSAPP_PHONE_NUMBER_ID": "1"})
    stand_in = load_config(ROOT / "config.yml", environ=ENV | {"WHATSAPP_API_BASE_URL": "http://127.0.0.1:9/"})
    assert stand_in.whatsapp.messages_url.startswith("http://127.0.0.1:9/v26.0/")


def test_secrets_in_the_file_and_limits_above_metas_are_refused(tmp_path):
    text = (ROOT / "config.yml").read_text(encoding="utf-8")
    bad = tmp_path / "config.yml"
    with_secret = text.replace("  graph_version: v26.0", "  graph_version: v26.0\n  app_secret: oops")
    bad.write_text(with_secret, encoding="utf-8")
    with pytest.raises(ConfigError, match="whatsapp.app_secret: it comes from the environment only"):
        load_config(bad, environ={})
    bad.write_text(text.replace("    buttons: 3", "    buttons: 4"), encoding="utf-8")
    with pytest.raises(ConfigError, match="whatsapp.limits.buttons"):
        load_config(bad, environ={})
