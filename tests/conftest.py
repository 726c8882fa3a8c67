"""Shared fixtures: the real configuration and FAQ, a core built once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import Core, build_core
from bot.config import Config, load_config
from bot.store import MemoryChatStore

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def config() -> Config:
    return load_config(ROOT / "config.yml", environ={})


@pytest.fixture(scope="session")
def shared_core(config) -> Core:
    """The real FAQ and a classifier trained on it; shared because training takes a second."""
    return build_core(config)


@pytest.fixture
def core(shared_core) -> Core:
    """A core with its own, empty chat store, on the shared knowledge base."""
    from bot.dialogue import Dialogue

    store = MemoryChatStore()
    return Core(
        shared_core.config, shared_core.knowledge, store, Dialogue(shared_core.config, shared_core.knowledge, store)
    )


@pytest.fixture(scope="session", autouse=True)
def _keep_the_repository_database_untouched(tmp_path_factory):
    """Processes the tests start use a throw-away SQLite file unless a test says otherwise, so that
    a test run never writes into var/lotse.db (an operator's or developer's real chat history)."""
    import os

    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'lotse.db'}"
    previous = os.environ.get("LOTSE_DATABASE_URL")
    os.environ["LOTSE_DATABASE_URL"] = previous or url
    yield
    if previous is None:
        os.environ.pop("LOTSE_DATABASE_URL", None)
