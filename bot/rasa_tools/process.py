"""Long-running helper processes (pip, rasa train) with a log file and a heartbeat on the terminal."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from bot.rasa_tools.export import ROOT

VAR = ROOT / "var" / "rasa"

Progress = Callable[[str], None]

# pip on this kind of machine warns about every package's missing local index directory.
_NOISE = re.compile(r"is ignored: it is neither a file nor a directory|^\s*$")


class RasaToolError(Exception):
    """Setting up, training or serving Rasa failed; the message says what to look at."""


class Stopped(RasaToolError):
    """The `stop` event was set: the command was ended (a bot shutting down while training in the background)."""


def rasa_environment() -> dict[str, str]:
    """The environment every rasa command runs with: no telemetry, quiet TensorFlow."""
    env = dict(os.environ)
    env.update(
        {
            "RASA_TELEMETRY_ENABLED": "false",
            # Component outputs are cached by Rasa in .rasa/cache (~300 MB); Lotse caches whole
            # models by the export's hash instead, so Rasa's own cache is switched off.
            "RASA_MAX_CACHE_SIZE": "0",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONWARNINGS": "ignore",
        }
    )
    return env


def last_line(path: Path, limit: int = 110) -> str:
    """The last meaningful line of a log (progress bars use carriage returns)."""
    try:
        with path.open("rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - 4096))
            tail = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    lines = [line.strip() for line in re.split(r"[\r\n]", tail) if not _NOISE.search(line)]
    return lines[-1][:limit] if lines else ""


def log_tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    kept = [line for line in text.replace("\r", "\n").splitlines() if not _NOISE.search(line)]
    return "\n".join(kept[-lines:])


def run_logged(
    command: Sequence[str | Path],
    log: Path,
    progress: Progress,
    *,
    what: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    heartbeat: float = 20.0,
    stop: threading.Event | None = None,
) -> float:
    """Run a command with its output in `log`, printing a heartbeat; returns the seconds it took.

    Raises:
        RasaToolError: the command failed; the message holds the end of its log.
        Stopped: `stop` was set; the command was killed.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(c) for c in command], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=cwd, env=env
        )
        try:
            next_beat = started + heartbeat
            while True:
                try:
                    code = process.wait(timeout=1.0 if stop is not None else heartbeat)
                    break
                except subprocess.TimeoutExpired:
                    if stop is not None and stop.is_set():
                        raise Stopped(f"{what} stopped after {time.monotonic() - started:.0f} s") from None
                    if time.monotonic() >= next_beat:
                        next_beat += heartbeat
                        progress(f"  {what}: {time.monotonic() - started:4.0f} s  {last_line(log)}")
        except BaseException:
            process.kill()
            process.wait()
            raise
    seconds = time.monotonic() - started
    if code != 0:
        raise RasaToolError(f"{what} failed (exit {code}) after {seconds:.0f} s; end of {log}:\n{log_tail(log)}")
    return seconds


@contextlib.contextmanager
def exclusive(name: str, progress: Progress, what: str, stop: threading.Event | None = None) -> Iterator[None]:
    """Hold var/rasa/<name>.lock: two test runs or a test run and `rasa train` never train or
    install into the same place at once; the second waits and then finds the result cached.

    Raises:
        Stopped: `stop` was set while waiting for the lock.
    """
    (VAR / "locks").mkdir(parents=True, exist_ok=True)
    with (VAR / "locks" / f"{name}.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress(f"another process is {what}; waiting for it")
            _wait_for_lock(lock, stop)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _wait_for_lock(lock, stop: threading.Event | None) -> None:
    if stop is None:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return
    while not stop.wait(0.5):  # a bot shutting down must not wait for another process's training
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            continue
    raise Stopped("stopped while waiting for another process's training")
