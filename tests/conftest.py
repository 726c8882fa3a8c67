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
def model_cache(tmp_path_factory) -> Path:
    """The session's trained models (nlu/model_cache.py): the first core trains, later ones load.
    Never var/nlu of the checkout, so that no run depends on what an earlier run left there."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def config(model_cache) -> Config:
    return load_config(ROOT / "config.yml", environ={"LOTSE_MODEL_CACHE": str(model_cache)})


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
def _keep_the_repository_database_untouched(tmp_path_factory, model_cache):
    """Processes the tests start use a throw-away SQLite file and the session's model cache unless
    a test says otherwise, so that a test run never writes into var/ (an operator's or developer's
    real chat history and models)."""
    import os

    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'lotse.db'}"
    wanted = {"LOTSE_DATABASE_URL": url, "LOTSE_MODEL_CACHE": str(model_cache)}
    previous = {key: os.environ.get(key) for key in wanted}
    for key, value in wanted.items():
        os.environ[key] = previous[key] or value
    yield
    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
