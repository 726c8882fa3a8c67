"""WhatsApp webhook latency and throughput of one bot process.

Starts the Graph API stand-in (tests/whatsapp/standin.py) in this process and `python -m bot run`
with the WhatsApp channel on (SQLite file) as a separate process, posts signed webhook bodies (one
text message each, from as many employers) with a fixed number of requests in flight, and measures

- how long the webhook takes to answer Meta's POST (Meta wants a median of at most 250 ms), and
- the time from the POST to the stand-in receiving the first message of the reply (through the
  outbox: dialogue, outbox row, worker, rendering, Graph call).

    .venv/bin/python bench/whatsapp_bench.py [--messages 600] [--concurrency 20]
                                             [--database-url postgresql+asyncpg://...]
                                             [--bot-root OTHER_CHECKOUT]

`--bot-root` runs the bot from another checkout (a `git worktree` of an older commit), so that two
versions are compared in the same minutes on the same machine (figures: docs/whatsapp.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the stand-in lives with the tests

from bench.webhook_bench import (  # noqa: E402
    QUESTIONS,
    bench_config,
    cpu_seconds,
    free_port,
    rss_mib,
    wait_healthy,
)
from handlers.whatsapp.signature import HEADER, sign  # noqa: E402
from tests.whatsapp.standin import PHONE_NUMBER_ID, TOKEN, GraphStandIn  # noqa: E402

SECRET = "bench-app-secret"


def body(user: str, text: str) -> bytes:
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "1",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {"phone_number_id": PHONE_NUMBER_ID},
                                "contacts": [{"profile": {"name": "Bench"}, "user_id": user}],
                                "messages": [
                                    {
                                        "from_user_id": user,
                                        "id": f"wamid.BENCH{uuid.uuid4().hex}",
                                        "timestamp": str(int(time.time())),
                                        "type": "text",
                                        "text": {"body": text},
                                    }
                                ],
                            },
                        }
                    ],
                }
            ],
        },
        ensure_ascii=False,
    ).encode()


async def post_all(
    http, hook: str, items: list[tuple[str, bytes]], concurrency: int, posted: dict[str, float], answered: list[float]
) -> None:
    queue = iter(items)

    async def worker() -> None:
        for user, raw in queue:
            posted[user] = started = time.perf_counter()
            async with http.post(hook, data=raw, headers={HEADER: sign(raw, SECRET)}) as response:
                if response.status != 200:
                    raise SystemExit(f"webhook answered {response.status}")
            answered.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def wait_for_replies(standin: GraphStandIn, users: set[str], timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while not users <= {c.recipient for c in standin.accepted()}:
        if time.perf_counter() > deadline:
            raise SystemExit(f"only {len(users & {c.recipient for c in standin.accepted()})} of {len(users)} answered")
        await asyncio.sleep(0.05)


async def main(args) -> None:
    standin = GraphStandIn()
    await standin.start()
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="lotse-wa-bench-"))
    env = {
        **os.environ,
        "WHATSAPP_ACCESS_TOKEN": TOKEN,
        "WHATSAPP_APP_SECRET": SECRET,
        "WHATSAPP_VERIFY_TOKEN": "bench",
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_API_BASE_URL": standin.base_url,
        "LOTSE_LISTEN": f"127.0.0.1:{port}",
        "LOTSE_DATABASE_URL": args.database_url or f"sqlite+aiosqlite:///{workdir}/lotse.db",
        "LOTSE_SESSION_SECRET": "b" * 40,
        "NO_PROXY": "127.0.0.1",
    }
    for variable in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_URL"):
        env.pop(variable, None)
    bot_root = Path(args.bot_root).resolve() if args.bot_root else ROOT
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--config",
        str(bench_config(workdir, True, bot_root)),
        "run",
        cwd=bot_root,
        env=env | {"PYTHONPATH": str(bot_root)},
        stdin=asyncio.subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    hook = f"{base}/whatsapp/webhook"
    run = uuid.uuid4().hex[:6]
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=args.concurrency)) as http:
            startup = await wait_healthy(http, f"{base}/healthz", process)
            rss_start = rss_mib(process.pid)
            warmup = [(f"DE.w{run}{n}", body(f"DE.w{run}{n}", QUESTIONS[n % len(QUESTIONS)])) for n in range(50)]
            await post_all(http, hook, warmup, args.concurrency, {}, [])
            await wait_for_replies(standin, {user for user, _ in warmup}, 60)
            standin.calls.clear()

            items = [
                (f"DE.b{run}{n}", body(f"DE.b{run}{n}", QUESTIONS[n % len(QUESTIONS)])) for n in range(args.messages)
            ]
            posted: dict[str, float] = {}
            webhook_ms: list[float] = []
            print(f"measuring (bot pid {process.pid}) ...", flush=True)  # e.g. for py-spy record --pid
            cpu_before = cpu_seconds(process.pid)
            started = time.perf_counter()
            await post_all(http, hook, items, args.concurrency, posted, webhook_ms)
            await wait_for_replies(standin, {user for user, _ in items}, 300)
            first: dict[str, float] = {}
            for call in standin.accepted():
                if call.recipient in posted:
                    first.setdefault(call.recipient, call.at)
            finished = max(first.values())
            cpu_used = cpu_seconds(process.pid) - cpu_before
            rss_end = rss_mib(process.pid)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await process.wait()
        await standin.stop()

    reply_ms = sorted((first[user] - posted[user]) * 1000 for user in posted)
    webhook_ms.sort()
    hooks, replies = statistics.quantiles(webhook_ms, n=100), statistics.quantiles(reply_ms, n=100)
    print(f"messages:       {len(items)} from as many employers, {args.concurrency} concurrent requests")
    print(
        f"throughput:     {len(items) / (finished - started):.0f} messages/s answered "
        f"({finished - started:.2f} s from the first POST to the last reply)"
    )
    print(
        f"webhook (ms):   p50 {hooks[49]:.1f}   p90 {hooks[89]:.1f}   p99 {hooks[98]:.1f}   max {webhook_ms[-1]:.1f}"
        "   (POST to 200)"
    )
    print(
        f"reply (ms):     p50 {replies[49]:.1f}   p90 {replies[89]:.1f}   p99 {replies[98]:.1f}   "
        f"max {reply_ms[-1]:.1f}   (POST to the reply at the Graph API)"
    )
    print(f"bot CPU:        {cpu_used / len(items) * 1000:.1f} ms per message (all threads)")
    print(f"machine:        {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")
    print(
        f"bot memory:     {rss_start:.0f} MiB RSS after start-up ({startup:.1f} s to healthy), "
        f"{rss_end:.0f} MiB after the run"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--database-url", help="e.g. postgresql+asyncpg://...; default: a fresh SQLite file")
    parser.add_argument("--bot-root", help="run the bot from this checkout (default: this one)")
    asyncio.run(main(parser.parse_args()))
