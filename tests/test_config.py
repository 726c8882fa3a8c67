"""Configuration is validated at start-up; errors name the bad key."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.config import ConfigError, load_config
from tests.conftest import ROOT


def write(tmp_path, text: str):
    path = tmp_path / "config.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_config_is_valid(config):
    assert config.languages.default in config.languages.supported
    assert config.contacts.placeholders("de")["authority"].startswith("die Ausländerbehörde")
    assert config.resolve(config.faq.path).is_dir()


def test_a_wrong_value_names_its_key(tmp_path):
    text = (ROOT / "config.yml").read_text(encoding="utf-8").replace("answer: 0.45", "answer: 1.7")
    with pytest.raises(ConfigError, match=r"thresholds\.answer"):
        load_config(write(tmp_path, text), environ={})


def test_an_unknown_key_names_it_and_the_key_meant(tmp_path):
    text = (ROOT / "config.yml").read_text(encoding="utf-8").replace("thresholds:", "thresholds:\n  anwser: 0.5", 1)
    with pytest.raises(ConfigError, match=r"thresholds\.anwser: unknown key; did you mean answer\? the keys here"):
        load_config(write(tmp_path, text), environ={})


def test_a_typo_inside_a_team_or_a_contact_names_the_keys_of_that_place(tmp_path):
    """Found in the QA pass: 'Extra inputs are not permitted' said what was wrong, not what to write."""
    text = (ROOT / "config.yml").read_text(encoding="utf-8") + (
        "\ntickets:\n  teams:\n    authority: {name: {de: ABH, en: Authority}, memebrs: [1]}\n"
        "    coordinator: {name: {de: Netz, en: Network}}\nwhatsapp: {graph_verison: v26.0}\n"
    )
    with pytest.raises(ConfigError) as raised:
        load_config(write(tmp_path, text), environ={})
    message = str(raised.value)
    assert str(tmp_path / "config.yml") in message
    assert "tickets.teams.authority.memebrs: unknown key; did you mean members? the keys here are name," in message
    assert "whatsapp.graph_verison: unknown key; did you mean graph_version?" in message
    assert "phone_number_id" not in message  # set in the environment only, never a key to suggest


def test_missing_contacts_are_named(tmp_path):
    with pytest.raises(ConfigError, match=r"contacts: Field required"):
        load_config(write(tmp_path, "languages:\n  default: en\n"), environ={})


def test_broken_yaml_and_missing_file_are_clear(tmp_path):
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(write(tmp_path, "thresholds: [\n"), environ={})
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "nope.yml", environ={})


def test_the_entry_point_exits_2_with_the_key_and_no_traceback(tmp_path):
    text = (ROOT / "config.yml").read_text(encoding="utf-8").replace("default: de", "default: fr")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(write(tmp_path, text)), "faq", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "languages.default" in result.stderr and "Traceback" not in result.stderr


def test_an_unreachable_database_is_one_clear_line_for_every_command(tmp_path):
    env = {**os.environ, "LOTSE_DATABASE_URL": "postgresql+asyncpg://lotse:pw@127.0.0.1:1/lotse"}
    for command in (["tickets", "list"], ["chat"]):
        result = subprocess.run(
            [sys.executable, "-m", "bot", *command],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env=env,
            input="",
            timeout=120,
        )
        assert result.returncode == 1, (command, result.stderr)
        assert "database error" in result.stderr and "Traceback" not in result.stderr, (command, result.stderr)
