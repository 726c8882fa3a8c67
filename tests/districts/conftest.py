"""A network of districts: the shipped example config (config.network.example.yml) with staff groups."""

from __future__ import annotations

import pytest
import yaml

from bot.config import Config, load_config
from tests.conftest import ROOT

EXAMPLE = ROOT / "config.network.example.yml"
NORD_AUTHORITY_GROUP, NORD_COORDINATOR_GROUP = -1002000000001, -1002000000002
HAFEN_AUTHORITY_GROUP, HAFEN_COORDINATOR_GROUP = -1002000000003, -1002000000004
NORD_STAFF, HAFEN_STAFF = 601, 602


def network_raw() -> dict:
    """The example network as YAML data, with a staff group and a member per team (tests change it further)."""
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    groups = {
        ("nordheide", "authority"): (NORD_AUTHORITY_GROUP, NORD_STAFF),
        ("nordheide", "coordinator"): (NORD_COORDINATOR_GROUP, NORD_STAFF),
        ("hafenberg", "authority"): (HAFEN_AUTHORITY_GROUP, HAFEN_STAFF),
        ("hafenberg", "coordinator"): (HAFEN_COORDINATOR_GROUP, HAFEN_STAFF),
    }
    for (district, team), (group, member) in groups.items():
        raw["districts"][district]["teams"][team] |= {"telegram_group": group, "members": [member]}
    return raw


def write_config(tmp_path, raw: dict, name: str = "config.yml"):
    """The config as a file beside the repository's faq/ (its paths are made absolute)."""
    raw = dict(raw)
    raw["faq"] = {
        **raw.get("faq", {}),
        "path": str(ROOT / "faq"),
        "required_topics": str(ROOT / "faq/_required-topics.yml"),
    }
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def network_config(tmp_path) -> Config:
    return load_config(write_config(tmp_path, network_raw()), environ={})


# The ticket queue's real databases (a SQLite file, and PostgreSQL) for the district tests too.
from tests.tickets.conftest import database, db_url, postgres_url  # noqa: E402, F401
