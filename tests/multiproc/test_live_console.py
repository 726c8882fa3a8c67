"""The live console behind nginx with two processes on one PostgreSQL database (docs/web.md, "The live queue").

A coordinator's event stream goes through nginx to one of the processes; tickets are opened through
the web chat of each process directly. Both reach the stream, so one of them came from the other
process, through the database. Then a ticket page's stream, through nginx too, hears the employer's
reply written through either process. nginx runs with the configuration docs/deployment.md gives
for the streams.
"""

from __future__ import annotations

import time

import pytest

from bot.accounts.service import Accounts
from bot.db import Database
from tests.multiproc.cluster import NGINX, Cluster, RoutedStandIn
from tests.web.conftest import AUTHORITY_QUESTION, Browserless, hand_over, new_http
from tests.web.test_live_queue import open_stream
from tests.web.test_live_ticket import employer_writes

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(not NGINX.exists(), reason="Debian's nginx is missing (/usr/sbin/nginx)"),
]


async def test_tickets_from_either_process_reach_a_stream_through_nginx(pg_url, tmp_path):
    standin = RoutedStandIn()
    await standin.start()
    cluster = Cluster(tmp_path, pg_url, standin, web=True)
    try:
        await cluster.start()
        async with Database(pg_url) as database:
            await Accounts(database, ["authority", "coordinator"]).add("anna", "correct horse battery", ["authority"])
        async with new_http() as anna_http, new_http() as first, new_http() as second:
            anna = Browserless(anna_http, cluster.proxy)
            await anna.login("anna")
            stream = await open_stream(anna, through_nginx=True)
            started = time.monotonic()
            employers = [Browserless(first, cluster.direct(0, "")), Browserless(second, cluster.direct(1, ""))]
            tickets = [
                await hand_over(employers[0], AUTHORITY_QUESTION, company="Erste GmbH"),
                await hand_over(employers[1], AUTHORITY_QUESTION, company="Zweite KG"),
            ]
            heard = [await stream.next_event(seconds=15), await stream.next_event(seconds=15)]
            assert sorted(data["ticket"] for _, data in heard) == sorted(tickets)
            assert all(kind == "ticket" and data["action"] == "opened" for kind, data in heard)
            assert time.monotonic() - started < 15
            stream.response.close()

            for employer, ticket in zip(employers, tickets, strict=True):  # a ticket page's stream, each process
                page = await open_stream(anna, through_nginx=True, path=f"/console/tickets/{ticket}/events")
                await employer_writes(employer, "Noch eine Ergänzung.")
                assert await page.next_event(seconds=15) == (
                    "ticket",
                    {"ticket": ticket, "action": "employer_message", "team": "authority", "status": "open"},
                )
                page.response.close()
    finally:
        await cluster.stop()
        await standin.stop()
