"""An operator's mistakes at the command line: each is one line that names the problem and what to do,
an exit code, and never a traceback (found in the QA pass of the command line)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from tests.conftest import ROOT


def lotse(*args: str, env: dict[str, str] | None = None, module: str = "bot") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        input="",
        timeout=180,
    )


def test_a_database_folder_that_cannot_be_made_is_a_database_error_not_a_listening_one(tmp_path):
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("not a folder", encoding="utf-8")
    env = {"LOTSE_DATABASE_URL": f"sqlite+aiosqlite:///{in_the_way}/var/lotse.db", "LOTSE_LISTEN": "127.0.0.1:0"}
    for command in (["run"], ["tickets", "list"], ["users", "list"]):
        result = lotse(*command, env=env)
        assert result.returncode == 1, (command, result.stderr)
        assert "database error: cannot create the SQLite file's folder" in result.stderr, (command, result.stderr)
        assert "LOTSE_DATABASE_URL" in result.stderr and "cannot listen" not in result.stderr
        assert "Traceback" not in result.stderr


def test_a_port_in_use_still_says_it_cannot_listen(tmp_path, model_cache):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = lotse(
            "run",
            env={
                "LOTSE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/lotse.db",
                "LOTSE_LISTEN": f"127.0.0.1:{port}",
                "LOTSE_MODEL_CACHE": str(model_cache),
                "LOTSE_SESSION_SECRET": "a-session-secret-long-enough-for-the-test",
            },
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port} (LOTSE_LISTEN)" in result.stderr and "Traceback" not in result.stderr


def test_a_short_session_secret_stops_run_with_what_to_do(tmp_path, model_cache):
    result = lotse(
        "run",
        env={
            "LOTSE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/lotse.db",
            "LOTSE_LISTEN": "127.0.0.1:0",
            "LOTSE_MODEL_CACHE": str(model_cache),
            "LOTSE_SESSION_SECRET": "short",
        },
    )
    assert result.returncode == 2, result.stderr
    assert "LOTSE_SESSION_SECRET must be at least 32 characters" in result.stderr
    assert "openssl rand" in result.stderr and "Traceback" not in result.stderr


def test_migrations_by_hand_name_a_wrong_revision_and_an_unreachable_server(tmp_path):
    result = lotse("downgrade", "bogus", module="bot.db", env={"LOTSE_DATABASE_URL": f"sqlite:///{tmp_path}/l.db"})
    assert result.returncode == 2
    assert "migration error: Can't locate revision identified by 'bogus'" in result.stderr
    assert "Traceback" not in result.stderr

    unreachable = "postgresql+asyncpg://lotse:secret-pw@127.0.0.1:1/lotse"
    result = lotse("upgrade", module="bot.db", env={"LOTSE_DATABASE_URL": unreachable})
    assert result.returncode == 1
    assert "database error: cannot use the database postgresql+asyncpg://lotse:***@127.0.0.1:1/lotse" in result.stderr
    assert "secret-pw" not in result.stderr and "Traceback" not in result.stderr


def test_qr_codes_into_a_folder_that_cannot_be_made_name_the_folder(tmp_path):
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("not a folder", encoding="utf-8")
    result = lotse("--config", "config.network.example.yml", "districts", "links", "--out", str(in_the_way / "qr"))
    assert result.returncode == 1
    assert f"cannot write the QR codes to {in_the_way / 'qr'}" in result.stdout and "--out" in result.stdout
    assert "Traceback" not in result.stderr
