"""`python -m bot run` as an operator and an employer meet it: one runtime per process, channels plugged in.

The processes here are real: a fresh interpreter, a fresh SQLite file, a pseudo-terminal where the
README's first command would run, and the Bot API stand-in for Telegram.
"""

from __future__ import annotations

import asyncio
import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import ROOT
from tests.telegram.standin import TOKEN, BotApiStandIn

pytestmark = pytest.mark.slow  # each test starts interpreters with the whole runtime


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(tmp_path: Path, port: int, models: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TELEGRAM_", "WHATSAPP_", "LOTSE_"))}
    return env | {
        "LOTSE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'fresh' / 'lotse.db'}",
        "LOTSE_MODEL_CACHE": str(models),
        "LOTSE_LISTEN": f"127.0.0.1:{port}",
        "LOTSE_SESSION_SECRET": "s" * 40,
        "NO_PROXY": "127.0.0.1",
        **extra,
    }


class Terminal:
    """`python -m bot run` in a pseudo-terminal: what a developer sees after `make run`."""

    def __init__(self, env: dict[str, str]):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the bot, with the pty as its terminal
            os.chdir(ROOT)
            os.execve(sys.executable, [sys.executable, "-m", "bot", "run"], env)
        self.screen = ""

    def read_until(self, pattern: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.screen):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{pattern!r} did not appear; the screen:\n{self.screen[-3000:]}")
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if ready:
                try:
                    self.screen += os.read(self.fd, 65536).decode("utf-8", errors="replace")
                except OSError:  # the child closed the terminal
                    break
        return self.screen

    def type(self, line: str) -> None:
        os.write(self.fd, (line + "\n").encode())

    def wait(self, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                with _quiet():
                    self.screen += os.read(self.fd, 65536).decode("utf-8", errors="replace")
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
            with _quiet():
                if select.select([self.fd], [], [], 0.1)[0]:
                    self.screen += os.read(self.fd, 65536).decode("utf-8", errors="replace")
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        raise AssertionError(f"the bot did not stop; the screen:\n{self.screen[-3000:]}")


class _quiet:
    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback) -> bool:
        return kind is not None and issubclass(kind, OSError)


@pytest.mark.parametrize("stop_with", ["/quit", "ctrl-c", "/quit"])
def test_make_run_in_a_terminal_on_a_fresh_database_answers_and_stops_cleanly(tmp_path, stop_with, model_cache):
    port = free_port()
    terminal = Terminal(environment(tmp_path, port, model_cache))
    screen = terminal.read_until(r"Sie> ", timeout=90)
    assert f"http://127.0.0.1:{port}/chat/" in screen and f"http://127.0.0.1:{port}/console/" in screen
    assert "database is locked" not in screen and "Traceback" not in screen

    terminal.type("Darf jemand mit Duldung bei uns arbeiten?")
    answer = terminal.read_until(r"Stand: \d\d\.\d\d\.\d{4}", timeout=30).split("mit Duldung bei uns", 1)[1]
    assert "Quellen:" in answer  # an FAQ answer with its sources and review date, not a clarification

    if stop_with == "ctrl-c":
        os.kill(terminal.pid, signal.SIGINT)
    else:
        terminal.type("/quit")
    assert terminal.wait() == 0
    assert "Lotse stopped." in terminal.screen and "Traceback" not in terminal.screen


async def test_one_process_with_web_and_telegram_migrates_once_and_trains_once(tmp_path):
    standin = BotApiStandIn()
    await standin.start()
    port = free_port()
    env = environment(
        tmp_path,
        port,
        tmp_path / "models",  # empty: this start must train
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=standin.base_url,
        TELEGRAM_WEBHOOK_URL="https://lotse.example.org/telegram/hook",
        TELEGRAM_WEBHOOK_SECRET="secret-secret-secret",
    )
    try:
        metrics, err = await _run_until_healthy(env)
        assert metrics["lotse_schema_migrations_total"] == 1.0
        assert metrics["lotse_classifier_trainings_total"] == 1.0
        assert b"Telegram as @lotse_test_bot" in err and b"web chat" in err
        assert standin.of("setWebhook")  # Telegram was plugged into the same runtime

        # the next start finds the model of this FAQ in the cache and trains nothing
        metrics, err = await _run_until_healthy(env)
        assert metrics["lotse_classifier_trainings_total"] == 0.0
        assert len(list((tmp_path / "models").glob("embedded-*.npz"))) == 1
    finally:
        await standin.stop()


async def _run_until_healthy(env: dict[str, str]) -> tuple[dict[str, float], bytes]:
    """Start `python -m bot run`, read /metrics once healthy, stop it with SIGTERM; (metrics, stderr)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    port = env["LOTSE_LISTEN"].rpartition(":")[2]
    try:
        async with aiohttp.ClientSession() as http:
            metrics = await _metrics_when_ready(http, f"http://127.0.0.1:{port}")
            async with http.get(f"http://127.0.0.1:{port}/chat/") as chat:
                assert chat.status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, err.decode()
    return metrics, err


async def _metrics_when_ready(http: aiohttp.ClientSession, base: str) -> dict[str, float]:
    for _ in range(300):
        try:
            async with http.get(f"{base}/healthz") as health:
                if health.status == 200:
                    async with http.get(f"{base}/metrics") as response:
                        return {
                            name: float(value)
                            for name, value in re.findall(r"^(lotse_\w+) ([0-9.e+-]+)$", await response.text(), re.M)
                        }
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError("the bot did not become healthy within 60 s")
