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


def test_an_unknown_key_names_it(tmp_path):
    text = (ROOT / "config.yml").read_text(encoding="utf-8").replace("thresholds:", "thresholds:\n  anwser: 0.5", 1)
    with pytest.raises(ConfigError, match=r"thresholds\.anwser: Extra inputs are not permitted"):
        load_config(write(tmp_path, text), environ={})


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
