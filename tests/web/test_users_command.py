"""`python -m bot users ...`: accounts for the console, managed from the command line."""

from __future__ import annotations

import io

from bot.cli import main


def run(monkeypatch, capsys, *argv: str, stdin: str = "") -> tuple[int, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["users", *argv])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_add_passwd_disable_and_list(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("LOTSE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'users.db'}")
    code, out = run(
        monkeypatch,
        capsys,
        "add",
        "Eva",
        "--team",
        "authority",
        "--team",
        "coordinator",
        "--name",
        "Eva E.",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert code == 0 and "added eva (authority, coordinator)" in out
    code, out = run(
        monkeypatch, capsys, "add", "eva", "--team", "authority", "--password-stdin", stdin="another one!!\n"
    )
    assert code == 1 and "exists already" in out
    code, out = run(
        monkeypatch, capsys, "add", "bob", "--team", "police", "--password-stdin", stdin="a long password\n"
    )
    assert code == 1 and "unknown team police" in out
    code, out = run(monkeypatch, capsys, "add", "bob", "--team", "authority", "--password-stdin", stdin="short\n")
    assert code == 1 and "at least 10 characters" in out
    assert run(monkeypatch, capsys, "passwd", "eva", "--password-stdin", stdin="a new long password\n")[0] == 0
    assert run(monkeypatch, capsys, "disable", "eva")[0] == 0
    code, out = run(monkeypatch, capsys, "list")
    assert code == 0 and "eva" in out and "disabled" in out and "authority,coordinator" in out
    assert run(monkeypatch, capsys, "disable", "nobody")[0] == 1
