"""Polling mode through getUpdates, and starting and stopping as `python -m bot run` does."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.serve import serve
from handlers.telegram_app import running
from tests.telegram.conftest import telegram_config
from tests.telegram.updates import load_update

ROOT = Path(__file__).resolve().parent.parent.parent


def run(config, stop=None):
    """What `python -m bot run` does, outside a terminal."""
    return serve(config, terminal=False, stop=stop)


async def test_polling_answers_updates_served_by_get_updates(config, standin, database_url, shared_core):
    settings = telegram_config(config, standin, database_url, webhook=False)
    async with running(settings, knowledge=shared_core.knowledge) as bot:
        assert bot.mode == "polling" and standin.of("deleteWebhook")  # polling needs the webhook removed
        standin.queue_update(load_update("command_start"))
        standin.queue_update(load_update("photo"))
        standin.queue_update(load_update("command_start"))  # the same update_id again: answered once
        sent = await standin.wait_for("sendMessage", count=3, chat_id=111)
        await asyncio.sleep(0.3)
    assert len(standin.sent(111)) == 3
    assert "Guten Tag" in sent[0].text and "/privacy" in sent[1].text and "schreiben Sie" in sent[2].text
    offsets = [int(c.params.get("offset", 0)) for c in standin.of("getUpdates")]
    assert max(offsets) > load_update("photo")["update_id"]  # the updates were confirmed


@pytest.mark.slow  # trains its own classifier, as `python -m bot run` does
async def test_run_stops_cleanly_on_request(config, standin, database_url, capsys):
    settings = telegram_config(config, standin, database_url, webhook=False)
    stop = asyncio.Event()
    task = asyncio.create_task(run(settings, stop))
    await standin.wait_for("getUpdates", timeout=90)  # it trains its classifier first: slow on a busy machine
    stop.set()
    assert await task == 0
    err = capsys.readouterr().err
    assert "Telegram as @lotse_test_bot, polling" in err and "Lotse stopped." in err


async def test_wrong_token_gives_a_clear_message_and_exit_code(config, standin, database_url, capsys):
    standin.token = "999:other"  # the stand-in now answers 401 to the bot's token, as Telegram would
    assert await run(telegram_config(config, standin, database_url)) == 2
    err = capsys.readouterr().err
    assert "rejected the bot token" in err and "TELEGRAM_BOT_TOKEN" in err
    assert "TEST-token" not in err  # never print the secret


async def test_old_schema_with_migrations_off_refuses_to_start(config, standin, database_url, capsys):
    settings = telegram_config(config, standin, database_url)
    settings = settings.model_copy(update={"database": settings.database.model_copy(update={"migrate": False})})
    assert await run(settings) == 1
    err = capsys.readouterr().err
    assert "database error" in err and "python -m bot.db upgrade" in err
    assert not standin.of("setWebhook")


@pytest.mark.slow  # a fresh interpreter imports scikit-learn
async def test_the_command_line_with_a_wrong_token_exits_2_without_a_traceback(standin, tmp_path):
    standin.token = "999:other"
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": "123456:WRONG-token",
        "TELEGRAM_API_BASE_URL": standin.base_url,
        "LOTSE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/lotse.db",
        "NO_PROXY": "127.0.0.1",
    }
    env.pop("TELEGRAM_WEBHOOK_URL", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    assert b"rejected the bot token" in err and b"Traceback" not in err
    assert standin.of("getMe", ok_only=False)[0].status == 401


def test_a_serving_process_keeps_the_collector_off_start_up_objects():
    probe = (
        "import gc; from bot.app import tune_runtime_for_serving; before = gc.get_freeze_count(); "
        "tune_runtime_for_serving(); print(before, gc.get_freeze_count(), *gc.get_threshold())"
    )
    before, frozen, young, *older = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.split()
    assert int(before) == 0 and int(frozen) > 10_000  # the imported libraries at least
    assert int(young) == 20_000
