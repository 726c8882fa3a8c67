"""A bot process that dies by SIGKILL at the worst moment (run by test_outbox.py, not by pytest).

Usage: python -m tests.tickets.crash_child DATABASE_URL after_commit|during_send
after_commit: a ticket is opened (committed with its outbox rows), then the process is killed
before anything is sent. during_send: the worker has leased the rows and is sending when killed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from bot.config import load_config
from bot.db import Database, prepare
from bot.tickets.desk import TicketDesk
from bot.tickets.outbox import OutboxItem
from bot.tickets.service import Actor, Contact
from tests.conftest import ROOT
from tests.tickets.conftest import with_teams


class DiesWhileSending:
    async def send(self, item: OutboxItem):
        os.kill(os.getpid(), signal.SIGKILL)


async def main(url: str, mode: str) -> None:
    config = with_teams(load_config(ROOT / "config.yml", environ={}))
    database = Database(url)
    await prepare(database, migrate=True)
    desk = TicketDesk.build(database, config, {"telegram": DiesWhileSending()})
    ticket = await desk.service.open(
        channel="telegram",
        chat_id="4711",
        team="coordinator",
        lang="de",
        question="Gibt es Förderung für Sprachkurse?",
        company="Tischlerei",
        contact=Contact("chat"),
    )
    await desk.service.answer(ticket.id, Actor("staff", "502", "Carl", ("coordinator",)), "Ja, über das Jobcenter.")
    print(f"committed ticket {ticket.id}", flush=True)
    if mode == "after_commit":
        os.kill(os.getpid(), signal.SIGKILL)
    await desk.worker.deliver_due()  # the sender kills the process mid-send


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
