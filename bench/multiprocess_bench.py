"""Webhook throughput and latency of 1 and of 2 bot processes on PostgreSQL behind nginx, side by side.

For each process count: an empty schema, N `python -m bot run` processes in webhook mode behind
Debian's nginx (tests/multiproc/cluster.py, as docs/deployment.md sets them up), the Bot API stand-in
in this process; text updates from many chats are posted to nginx with a fixed number of requests
in flight. Latency is the time from an update's POST to the stand-in receiving the sendMessage that
answers it (a chat's answers come in the order of its updates, so its n-th answer is its n-th update's).

    .venv/bin/python bench/multiprocess_bench.py [--updates 600] [--chats 100] [--concurrency 32]
                                                 [--processes 1 2] [--database-url postgresql+asyncpg://...]

Without --database-url it starts a throw-away PostgreSQL (tests/tickets/pgserver.py). Needs
/usr/sbin/nginx (`make nginx`). Figures: docs/deployment.md.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the stand-in and the cluster live with the tests

from bench.webhook_bench import latencies_ms  # noqa: E402
from bot.db import Database, prepare  # noqa: E402
from tests.multiproc.cluster import NGINX, SECRET, Cluster, RoutedStandIn  # noqa: E402
from tests.tickets.conftest import empty_schema  # noqa: E402

# Each is answered with exactly one message (as in bench/webhook_bench.py).
QUESTIONS = [
    "What is a Blue Card?",
    "Darf ein Geflüchteter mit Duldung bei uns eine Ausbildung machen?",
    "Arbeitserlaubnis",
    "Wie lange dauert die Anerkennung eines ausländischen Abschlusses?",
    "Wie backe ich einen Kuchen?",
]
ids = itertools.count(int(time.time()) % 1_000_000 * 1000)


def update(chat_id: int, text: str) -> dict:
    update_id = next(ids)
    user = {"id": chat_id, "is_bot": False, "first_name": f"Bench {chat_id}", "language_code": "de"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id % 1_000_000,
            "date": int(time.time()),
            "from": user,
            "text": text,
            "chat": {"id": chat_id, "type": "private", "first_name": user["first_name"]},
        },
    }


async def post_all(
    http: aiohttp.ClientSession, hook: str, updates: list[dict], concurrency: int, posted: dict[int, float]
) -> None:
    queue = iter(updates)

    async def worker() -> None:
        for item in queue:
            posted[item["update_id"]] = time.perf_counter()
            async with http.post(hook, json=item, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
                if response.status != 200:
                    raise SystemExit(f"webhook answered {response.status}")

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def measure(url: str, count: int, args) -> dict:
    async with Database(url) as database:
        await empty_schema(url)
        await prepare(database, migrate=True)
    standin = RoutedStandIn()
    await standin.start()
    directory = Path(tempfile.mkdtemp(prefix=f"lotse-multi{count}-"))  # configs, logs, nginx's files
    cluster = Cluster(directory, url, standin, count=count)
    try:
        await cluster.start()
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=args.concurrency)) as http:
            warmup = [update(900_000 + n % 20, QUESTIONS[n % len(QUESTIONS)]) for n in range(60)]
            await post_all(http, cluster.hook, warmup, args.concurrency, {})
            await standin.wait_for("sendMessage", len(warmup), timeout=120)
            standin.calls.clear()
            chats = [10_000 + n for n in range(args.chats)]
            updates = [update(chats[n % len(chats)], QUESTIONS[n % len(QUESTIONS)]) for n in range(args.updates)]
            posted: dict[int, float] = {}
            started = time.perf_counter()
            await post_all(http, cluster.hook, updates, args.concurrency, posted)
            replies = await standin.wait_for("sendMessage", len(updates), timeout=300)
            finished = max(c.at for c in replies)
    finally:
        await cluster.stop()
        await standin.stop()
        shutil.rmtree(directory, ignore_errors=True)
    latencies = latencies_ms(updates, posted, replies)
    quantiles = statistics.quantiles(latencies, n=100)
    by_process = defaultdict(int)
    for call in replies:
        by_process[call.via] += 1
    return {
        "processes": count,
        "rate": len(updates) / (finished - started),
        "p50": quantiles[49],
        "p99": quantiles[98],
        "split": "/".join(str(by_process[f"p{n}"]) for n in range(count)),
        "load": os.getloadavg()[0],
    }


async def main(args) -> None:
    if not NGINX.exists():
        raise SystemExit("needs Debian's nginx at /usr/sbin/nginx: `make nginx` (apt-get install nginx-light)")
    server = None
    url = args.database_url
    if not url:
        from tests.tickets.pgserver import LocalPostgres

        server = LocalPostgres.start()
        url = server.url
    try:
        results = [await measure(url, count, args) for count in args.processes]
    finally:
        if server is not None:
            server.stop()
    print(
        f"{args.updates} updates from {args.chats} chats, {args.concurrency} requests in flight, through nginx, "
        f"on PostgreSQL; {os.cpu_count()} CPUs"
    )
    print(f"{'processes':>9}  {'updates/s':>9}  {'p50 ms':>7}  {'p99 ms':>7}  {'answers per process':>19}  load")
    for r in results:
        print(
            f"{r['processes']:>9}  {r['rate']:>9.0f}  {r['p50']:>7.0f}  {r['p99']:>7.0f}  {r['split']:>19}  "
            f"{r['load']:.1f}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=600)
    parser.add_argument("--chats", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--database-url", help="an existing PostgreSQL (its schema is emptied); default: a fresh one")
    asyncio.run(main(parser.parse_args()))
