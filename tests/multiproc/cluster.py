"""N `python -m bot run` processes on one PostgreSQL database behind Debian's nginx, as docs/deployment.md
describes, for the test of several processes and bench/multiprocess_bench.py.

Everything listens on 127.0.0.1 on free ports; nginx runs in the foreground from a configuration in a
temporary folder (no system files touched). The Bot API is the stand-in (tests/telegram/standin.py):
each process gets its own path prefix on it (`/p0/bot...`, `/p1/bot...`), so a test can tell which
process made a call.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import yaml
from aiohttp import web

from tests.telegram.standin import TOKEN, BotApiStandIn, Call

ROOT = Path(__file__).resolve().parents[2]
NGINX = Path("/usr/sbin/nginx")
SECRET = "multi-process-secret-0123456789"
HOOK_PATH = "/telegram/hook"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RoutedStandIn(BotApiStandIn):
    """The Bot API stand-in, telling which process called (`call.via`), able to hold one chat's messages."""

    def __init__(self):
        super().__init__()
        self.held_chat: int | None = None
        self._release = asyncio.Event()
        self.group_delay = 0.0  # seconds each message to a group takes: a slow Bot API makes turns overlap

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/{via}/bot{token}/{method}", self._routed)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self.base_url

    def url_for(self, process: int) -> str:
        return f"{self.base_url}/p{process}/bot"

    def hold(self, chat_id: int) -> None:
        """Keep messages to `chat_id` waiting (a slow chat) until `release()`; they count as delivered then."""
        self.held_chat = chat_id
        self._release.clear()

    def release(self) -> None:
        self._release.set()

    async def _routed(self, request: web.Request) -> web.Response:
        params = await (request.json() if request.content_type == "application/json" else request.post())
        if self.held_chat is not None and str(params.get("chat_id")) == str(self.held_chat):
            self.calls.append(Call("held", dict(params), time.perf_counter()))
            self.calls[-1].via = request.match_info["via"]
            await self._release.wait()
        if self.group_delay and str(params.get("chat_id", "")).startswith("-"):
            await asyncio.sleep(self.group_delay)
        index = len(self.calls)  # the body is read already: _handle appends its call before it awaits anything
        response = await self._handle(request)
        self.calls[index].via = request.match_info["via"]
        return response


def cluster_config(directory: Path, *, lease_seconds: float = 5, web: bool = False) -> Path:
    """config.yml for the processes: rate limits off, the outbox polling often, a short lease; `web`: the web chat
    and console on (off by default: the Telegram tests need no second channel)."""
    raw = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    raw["base_dir"] = str(ROOT)
    raw.setdefault("telegram", {})["rate_limit"] = {"enabled": False}
    raw["faq"]["reload_seconds"] = 0
    raw.setdefault("web", {})["enabled"] = web
    outbox = raw.setdefault("tickets", {}).setdefault("outbox", {})
    outbox.update(lease_seconds=lease_seconds, poll_seconds=0.2)
    path = directory / "config.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


NGINX_CONF = """\
# the test's nginx: in the foreground, one process, files in this folder (docs/deployment.md has the real one)
daemon off;
master_process off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream lotse {{
{servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        location = /metrics {{ return 404; }}
        location = {hook} {{
            proxy_pass http://lotse;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_next_upstream error timeout http_502 http_503 non_idempotent;
            proxy_read_timeout 70s;
            add_header X-Upstream $upstream_addr;  # the test's: "a, b" when nginx passed it on after a failure
        }}
        location / {{
            proxy_pass http://lotse;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
        location ~ ^/console/(queue|tickets/[0-9]+)/events$ {{
            proxy_pass http://lotse;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_read_timeout 1h;
        }}
    }}
}}
"""


@dataclass
class Cluster:
    """The processes, nginx in front, and where to reach them."""

    directory: Path
    database_url: str
    standin: RoutedStandIn
    count: int = 2
    lease_seconds: float = 5
    web: bool = False
    ports: list[int] = field(default_factory=list)
    processes: list[asyncio.subprocess.Process] = field(default_factory=list)
    nginx: asyncio.subprocess.Process | None = None
    proxy_port: int = 0

    @property
    def proxy(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}"

    @property
    def hook(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}{HOOK_PATH}"

    def direct(self, n: int, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[n]}{path}"

    async def start(self) -> None:
        config = cluster_config(self.directory, lease_seconds=self.lease_seconds, web=self.web)
        self.ports = [free_port() for _ in range(self.count)]
        environment = {
            key: value for key, value in os.environ.items() if not key.startswith(("TELEGRAM_", "WHATSAPP_", "LOTSE_"))
        }
        for n, port in enumerate(self.ports):
            env = environment | {
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": self.standin.url_for(n),
                "TELEGRAM_WEBHOOK_URL": f"https://lotse.example.org{HOOK_PATH}",
                "TELEGRAM_WEBHOOK_SECRET": SECRET,
                "LOTSE_LISTEN": f"127.0.0.1:{port}",
                "LOTSE_DATABASE_URL": self.database_url,
                "LOTSE_SESSION_SECRET": "s" * 40,
                "NO_PROXY": "127.0.0.1",
            }
            log = open(self.directory / f"bot{n}.log", "wb")  # noqa: SIM115 (the process keeps writing to it)
            self.processes.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bot",
                    "--config",
                    str(config),
                    "run",
                    cwd=ROOT,
                    env=env,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                )
            )
            log.close()
        self.proxy_port = free_port()
        servers = "\n".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;" for port in self.ports)
        conf = self.directory / "nginx.conf"
        conf.write_text(NGINX_CONF.format(dir=self.directory, servers=servers, port=self.proxy_port, hook=HOOK_PATH))
        self.nginx = await asyncio.create_subprocess_exec(
            str(NGINX),
            "-p",
            str(self.directory),
            "-c",
            str(conf),
            "-e",
            str(self.directory / "error.log"),
            stdin=asyncio.subprocess.DEVNULL,
        )
        async with aiohttp.ClientSession() as http:
            for n in range(self.count):
                await self._healthy(http, self.direct(n, "/healthz"), self.processes[n])
            await self._healthy(http, f"http://127.0.0.1:{self.proxy_port}/healthz", self.nginx, timeout=10)

    async def _healthy(self, http: aiohttp.ClientSession, url: str, process, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise AssertionError(f"{url}: the process exited with {process.returncode}; see {self.directory}")
            try:
                async with http.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
        raise AssertionError(f"{url} did not become healthy; logs in {self.directory}")

    def kill(self, n: int) -> None:
        """kill -9: no clean-up, no commit; its database connections drop with it."""
        os.kill(self.processes[n].pid, signal.SIGKILL)

    async def stop(self) -> None:
        for process in [*self.processes, self.nginx]:
            if process is not None and process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in [*self.processes, self.nginx]:
            if process is not None:
                try:
                    await asyncio.wait_for(process.wait(), 30)
                except TimeoutError:
                    process.kill()
                    await process.wait()
