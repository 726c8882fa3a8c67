"""A `rasa run --enable-api` process on 127.0.0.1 serving one model, started and stopped by Lotse."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from bot.rasa_tools.process import VAR, Progress, RasaToolError, log_tail, rasa_environment

HOST = "127.0.0.1"  # rasa binds 0.0.0.0 unless told otherwise; Lotse never exposes it


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class RasaServer:
    """One Rasa NLU server process. Use as a context manager, or start() / wait_ready() / stop()."""

    def __init__(self, rasa: Path, model: Path, port: int, token: str, log: Path | None = None):
        self.rasa = rasa
        self.model = model
        self.port = port
        self.token = token
        self.log = log or VAR / "logs" / f"serve-{port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        command = [
            str(self.rasa),
            "run",
            "--enable-api",
            "-m",
            str(self.model.resolve()),
            "-i",
            HOST,
            "-p",
            str(self.port),
            # one argument: a token may begin with "-" (token_urlsafe does, one time in 64), which
            # as a separate argument Rasa's argparse would take for an option
            f"--auth-token={self.token}",
        ]
        with self.log.open("wb") as out:
            # cwd under var/ keeps Rasa's .rasa/ folder out of the repository; a new session lets
            # stop() end the server and anything it started.
            self.process = subprocess.Popen(
                command,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=VAR,
                env=rasa_environment(),
                start_new_session=True,
            )

    def status(self) -> dict | None:
        """GET /status, or None while the server does not answer."""
        query = urllib.parse.urlencode({"token": self.token})
        try:
            with urllib.request.urlopen(f"{self.url}/status?{query}", timeout=5) as response:
                return json.loads(response.read())
        except (OSError, ValueError):
            return None

    def wait_ready(self, progress: Progress, timeout: float = 300.0) -> float:
        """Poll /status until the model is loaded; returns the seconds since start().

        Raises:
            RasaToolError: the server exited or was not ready in time; the message ends with its log.
        """
        assert self.process is not None, "start() first"
        started = time.monotonic()
        next_report = started + 20
        while True:
            status = self.status()
            if status and status.get("model_file"):
                return time.monotonic() - started
            if self.process.poll() is not None:
                raise RasaToolError(
                    f"rasa run exited with {self.process.returncode}; end of {self.log}:\n{log_tail(self.log)}"
                )
            if time.monotonic() - started > timeout:
                self._end()  # keeps the log for the message below
                raise RasaToolError(
                    f"rasa run did not answer /status within {timeout:.0f} s; end of {self.log}:\n{log_tail(self.log)}"
                )
            if time.monotonic() > next_report:
                progress(f"  waiting for Rasa to load the model: {time.monotonic() - started:.0f} s")
                next_report += 20
            time.sleep(0.5)

    def rss_bytes(self) -> int | None:
        """Resident memory of the server process."""
        if self.process is None:
            return None
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            return None
        return None

    def stop(self) -> None:
        """End the server; its log is kept only when it had stopped by itself (to see why)."""
        if self.process is None or self.process.poll() is not None:
            return
        self._end()
        self.log.unlink(missing_ok=True)

    def wait(self) -> int:
        """Block until the server process ends; returns its exit code."""
        assert self.process is not None, "start() first"
        return self.process.wait()

    def _end(self) -> None:
        process = self.process
        if process is None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass

    def __enter__(self) -> RasaServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
