"""The telegram and database sections of config.yml, and the environment variables over them."""

from __future__ import annotations

import pytest
import yaml

from bot.config import ConfigError, load_config
from tests.conftest import ROOT

CONFIG = ROOT / "config.yml"
SECRET = "a-webhook-secret-of-32-characters"


def test_defaults_without_environment():
    config = load_config(CONFIG, environ={})
    assert config.telegram.token is None and config.telegram.webhook_url is None
    assert config.telegram.api_base_url == "https://api.telegram.org/bot"
    assert (config.telegram.listen_host, config.telegram.listen_port) == ("127.0.0.1", 8080)
    assert config.telegram.flood.max_messages == 20 and config.telegram.rate_limit.overall_per_second == 30
    assert config.database.url is None and config.database.migrate is True


def test_environment_overrides():
    config = load_config(
        CONFIG,
        environ={
            "TELEGRAM_BOT_TOKEN": "123:abc-DEF_1",
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
            "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/tg/hook",
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "LOTSE_LISTEN": "[::1]:9000",
            "LOTSE_DATABASE_URL": "postgresql://lotse:pw@db/lotse",
        },
    )
    telegram = config.telegram
    assert telegram.token.get_secret_value() == "123:abc-DEF_1" and "123:abc" not in repr(config)
    assert telegram.api_base_url == "http://127.0.0.1:8081/bot"
    assert telegram.webhook_path == "/tg/hook" and telegram.webhook_secret.get_secret_value() == SECRET
    assert (telegram.listen_host, telegram.listen_port) == ("::1", 9000)
    assert config.database.url == "postgresql+asyncpg://lotse:pw@db/lotse"  # the async driver is filled in


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"TELEGRAM_BOT_TOKEN": "not a token"}, "telegram.token"),
        ({"TELEGRAM_WEBHOOK_URL": "https://bot.example.org/hook"}, "TELEGRAM_WEBHOOK_SECRET must be set"),
        (
            {"TELEGRAM_WEBHOOK_URL": "https://bot.example.org/hook", "TELEGRAM_WEBHOOK_SECRET": "short"},
            "16 to 256 characters",
        ),
        ({"TELEGRAM_WEBHOOK_URL": "https://bot.example.org/healthz", "TELEGRAM_WEBHOOK_SECRET": SECRET}, "/healthz"),
        ({"LOTSE_LISTEN": "8080"}, "telegram.listen"),
        ({"LOTSE_DATABASE_URL": "mysql://db/lotse"}, "database.url"),
    ],
)
def test_bad_values_are_named(environ, message):
    with pytest.raises(ConfigError, match=message):
        load_config(CONFIG, environ=environ)


@pytest.mark.parametrize(
    ("section", "values", "message"),
    [
        ("telegram", {"token": "1:abc"}, "set TELEGRAM_BOT_TOKEN"),
        ("telegram", {"webhook_secret": "abcdefabcdefabcdef"}, "set TELEGRAM_WEBHOOK_SECRET"),
        ("database", {"url": "postgresql+asyncpg://lotse:secret@db/lotse"}, "LOTSE_DATABASE_URL"),
    ],
)
def test_secrets_in_the_file_are_refused(tmp_path, section, values, message):
    raw = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    raw[section] |= values
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(path, environ={})
