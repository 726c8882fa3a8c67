"""Webhook throughput and latency of one bot process.

Starts the stand-in Bot API (tests/telegram/standin.py) in this process and `python -m bot run`
in webhook mode as a separate process (SQLite file, rate limiting off), posts text updates from
many chats to the webhook with a fixed number of requests in flight, and measures for each update
the time from the POST to the stand-in receiving the sendMessage that answers it.

    .venv/bin/python bench/webhook_bench.py [--updates 2000] [--chats 200] [--concurrency 50]
                                            [--rate 30] [--database-url postgresql+asyncpg://...]
                                            [--bot-root OTHER_CHECKOUT]

Prints updates/s, p50/p90/p99 latency, the time from start to a healthy /healthz and the bot's
resident memory (after start-up and after the run). `--rate` paces the updates (Telegram's own
pace is about 30 a second) instead of sending as fast as `--concurrency` allows. `--bot-root` runs
the bot from another checkout (e.g. a `git worktree` of an older commit), so that two versions are
compared in one session on the same machine (figures: docs/performance.md).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the stand-in lives with the tests

from tests.telegram.standin import TOKEN, BotApiStandIn  # noqa: E402

SECRET = "bench-secret-0123456789abcdef"
HOOK_PATH = "/telegram/bench"
# Each is answered with exactly one message: answers, a clarification, out of scope. (No hand-over:
# it starts a conversation of its own, in which the next question would be read as its answer.)
QUESTIONS = [
    "What is a Blue Card?",
    "Darf ein Geflüchteter mit Duldung bei uns eine Ausbildung machen?",
    "Arbeitserlaubnis",
    "Wie lange dauert die Anerkennung eines ausländischen Abschlusses?",
    "Wie backe ich einen Kuchen?",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int, stat: str = "stat") -> float:
    """User plus system CPU time the process (all its threads) has used so far.

    With stat="task/<pid>/stat": its main thread only (the event loop; the others are the
    database driver's and the classifier's threads).
    """
    fields = Path(f"/proc/{pid}/{stat}").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """CPU time of this process: the load generator and the stand-in Bot API."""
    return time.process_time()


def bench_config(directory: Path, tickets: bool, root: Path = ROOT) -> Path:
    """config.yml with rate limiting off (the benchmark measures the bot, not Telegram's limits)."""
    raw = yaml.safe_load((root / "config.yml").read_text(encoding="utf-8"))
    raw["base_dir"] = str(root)
    raw.setdefault("telegram", {})["rate_limit"] = {"enabled": False}
    raw["faq"]["reload_seconds"] = 0
    if not tickets and isinstance(raw.get("tickets"), dict):
        raw["tickets"]["enabled"] = False
    path = directory / "config.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def update(update_id: int, chat_id: int, text: str) -> dict:
    user = {"id": chat_id, "is_bot": False, "first_name": f"Bench {chat_id}", "language_code": "de"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "from": user,
            "chat": {"id": chat_id, "type": "private", "first_name": user["first_name"]},
            "text": text,
        },
    }


async def wait_healthy(http: aiohttp.ClientSession, url: str, process, timeout: float = 120) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.returncode is not None:
            raise SystemExit(f"the bot exited with {process.returncode} during start-up")
        try:
            async with http.get(url) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit("the bot did not become healthy")


async def post_all(
    http, hook: str, updates: list[dict], concurrency: int, posted: dict[int, float], rate: float = 0
) -> None:
    queue = iter(enumerate(updates))
    start = time.perf_counter()

    async def worker() -> None:
        for n, item in queue:
            if rate:  # the n-th update is due n/rate seconds after the start
                await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
            posted[item["update_id"]] = time.perf_counter()
            async with http.post(hook, json=item, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
                if response.status != 200:
                    raise SystemExit(f"webhook answered {response.status}")

    await asyncio.gather(*(worker() for _ in range(concurrency)))


def latencies_ms(updates: list[dict], posted: dict[int, float], replies: list) -> list[float]:
    """Each update's time from its POST to its answer, sorted; in ms.

    A chat's updates are processed in order, so its n-th answer belongs to its n-th update.
    """
    sent_by_chat: dict[int, list[float]] = defaultdict(list)
    for call in replies:
        sent_by_chat[call.chat_id].append(call.at)
    posted_by_chat: dict[int, list[float]] = defaultdict(list)
    for item in updates:
        posted_by_chat[item["message"]["chat"]["id"]].append(posted[item["update_id"]])
    return sorted(
        (answer - post) * 1000
        for chat, posts in posted_by_chat.items()
        for post, answer in zip(sorted(posts), sorted(sent_by_chat[chat]), strict=True)
    )


async def main(args) -> None:
    standin = BotApiStandIn()
    await standin.start()
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="lotse-bench-"))
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": standin.base_url,
        "TELEGRAM_WEBHOOK_URL": f"https://bench.example.org{HOOK_PATH}",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "LOTSE_LISTEN": f"127.0.0.1:{port}",
        "LOTSE_DATABASE_URL": args.database_url or f"sqlite+aiosqlite:///{workdir}/lotse.db",
        "NO_PROXY": "127.0.0.1",
    }
    bot_root = Path(args.bot_root).resolve() if args.bot_root else ROOT
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--config",
        str(bench_config(workdir, not args.without_tickets, bot_root)),
        "run",
        cwd=bot_root,
        env=env | {"PYTHONPATH": str(bot_root)},
        stdin=asyncio.subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    # update ids not used before: a reused database (--database-url) would drop them as redeliveries
    ids = itertools.count(int(time.time()) % 1_000_000 * 1000)
    try:
        connector = aiohttp.TCPConnector(limit=args.concurrency)
        async with aiohttp.ClientSession(connector=connector) as http:
            startup = await wait_healthy(http, f"{base}/healthz", process)
            rss_start = rss_mib(process.pid)

            warmup = [update(next(ids), 900_000 + n % 20, QUESTIONS[n % len(QUESTIONS)]) for n in range(100)]
            await post_all(http, base + HOOK_PATH, warmup, args.concurrency, {})
            await standin.wait_for("sendMessage", len(warmup), timeout=60)
            standin.calls.clear()

            chats = [10_000 + n for n in range(args.chats)]
            updates = [
                update(next(ids), chats[n % len(chats)], QUESTIONS[n % len(QUESTIONS)]) for n in range(args.updates)
            ]
            posted: dict[int, float] = {}
            cpu_before = cpu_seconds(process.pid)
            loop_before = cpu_seconds(process.pid, f"task/{process.pid}/stat")
            own_before = own_cpu_seconds()
            started = time.perf_counter()
            await post_all(http, base + HOOK_PATH, updates, args.concurrency, posted, args.rate)
            replies = await standin.wait_for("sendMessage", len(updates), timeout=300)
            await asyncio.sleep(1)
            if len(standin.sent()) != len(updates):
                raise SystemExit(f"{len(standin.sent())} answers to {len(updates)} updates: each must get one")
            finished = max(c.at for c in replies)
            cpu_used = cpu_seconds(process.pid) - cpu_before
            loop_used = cpu_seconds(process.pid, f"task/{process.pid}/stat") - loop_before
            own_used = own_cpu_seconds() - own_before  # includes the 1 s pause: idle, negligible
            rss_end = rss_mib(process.pid)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await process.wait()
        await standin.stop()

    latencies = latencies_ms(updates, posted, replies)
    quantiles = statistics.quantiles(latencies, n=100)
    print(f"updates:        {len(updates)} from {args.chats} chats, {args.concurrency} concurrent requests")
    print(
        f"throughput:     {len(updates) / (finished - started):.0f} updates/s "
        f"({finished - started:.2f} s from the first POST to the last sendMessage)"
    )
    print(
        f"latency (ms):   p50 {quantiles[49]:.1f}   p90 {quantiles[89]:.1f}   p99 {quantiles[98]:.1f}   "
        f"max {latencies[-1]:.1f}"
    )
    print(
        f"bot CPU:        {cpu_used / len(updates) * 1000:.1f} ms per update (all threads; at most "
        f"{len(updates) / cpu_used:.0f} updates/s on one free core)"
    )
    # (clock ticks of 10 ms: the split is approximate; on PostgreSQL there are no other busy threads)
    print(
        f"  of which:     {loop_used / len(updates) * 1000:.1f} ms in the event loop's thread, "
        f"{max(cpu_used - loop_used, 0) / len(updates) * 1000:.1f} ms in other threads"
    )
    print(
        f"bench CPU:      {own_used / len(updates) * 1000:.1f} ms per update (load generator and stand-in, "
        f"this process: {own_used / (finished - started) * 100:.0f} % of a core)"
    )
    print(f"machine:        {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")
    print(
        f"bot memory:     {rss_start:.0f} MiB RSS after start-up ({startup:.1f} s to healthy), "
        f"{rss_end:.0f} MiB after the run"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rate", type=float, default=0, help="updates per second (default: as fast as possible)")
    parser.add_argument("--bot-root", help="run the bot from this checkout (default: this one)")
    parser.add_argument("--database-url", help="e.g. postgresql+asyncpg://...; default: a fresh SQLite file")
    parser.add_argument(
        "--without-tickets",
        action="store_true",
        help="switch the ticket queue off (its outbox worker and hand-over checks)",
    )
    asyncio.run(main(parser.parse_args()))
