"""The live console's feed: ticket changes from the audit trail, per team, across processes."""

from __future__ import annotations

import asyncio

import bot.tickets.feed as feed_module
from bot.tickets.desk import TicketDesk
from bot.tickets.feed import ConsoleEvent, Listener, TicketChange, TicketFeed
from tests.tickets.test_service import ANNA, CARL, open_ticket


async def next_changes(listener, seconds: float = 5.0) -> list[TicketChange]:
    changes = await listener.next(timeout=seconds)
    assert changes, f"no change within {seconds} s"
    return changes


async def test_changes_reach_listeners_in_order_and_history_is_not_news(desk, database):
    before = await open_ticket(desk, chat="1")
    feed = TicketFeed(database, poll_seconds=0.05)
    try:
        async with feed.listen() as listener:
            ticket = await open_ticket(desk, chat="2")
            await desk.service.employer_message(ticket.id, "telegram", "2", "Noch eine Frage")
            await desk.service.claim(ticket.id, ANNA)
            changes = await next_changes(listener)
            while len(changes) < 3:
                changes += await next_changes(listener)
            assert [(c.ticket_id, c.action) for c in changes] == [
                (ticket.id, "opened"),
                (ticket.id, "employer_message"),
                (ticket.id, "claimed"),
            ]
            assert before.id not in {c.ticket_id for c in changes}
            assert all(c.team == "authority" for c in changes)
            assert await listener.next(timeout=0.2) == []
    finally:
        await feed.close()


async def test_a_change_made_by_another_process_reaches_this_one(database, team_config, clock, recorder):
    """Two desks on one database stand for two processes: the feed never hears of the other's change
    in memory, only from the database."""
    elsewhere = TicketDesk.build(database, team_config, {"telegram": recorder}, clock=clock)
    feed = TicketFeed(database, poll_seconds=0.05)
    try:
        async with feed.listen() as listener:
            ticket = await open_ticket(elsewhere, team="coordinator")
            changes = await next_changes(listener)
            assert (changes[0].ticket_id, changes[0].action, changes[0].team) == (ticket.id, "opened", "coordinator")
    finally:
        await feed.close()


async def test_a_hand_over_is_read_with_the_team_it_left(desk, database):
    feed = TicketFeed(database, poll_seconds=0.05)
    try:
        async with feed.listen() as listener:
            ticket = await open_ticket(desk, team="coordinator")
            await desk.service.hand_over(ticket.id, CARL, "authority", "ein Fall für die Behörde")
            changes = await next_changes(listener)
            while len(changes) < 2:
                changes += await next_changes(listener)
    finally:
        await feed.close()
    handed = changes[-1]
    assert (handed.action, handed.team, handed.from_team) == ("handed_over", "authority", "coordinator")


def test_each_account_is_told_only_of_its_teams_tickets_and_that_one_left_them():
    opened = TicketChange(1, 12, "opened", "coordinator", "open")
    handed = TicketChange(2, 12, "handed_over", "authority", "open", from_team="coordinator")
    erased = TicketChange(3, 12, "closed", "authority", "closed", deleted=True)
    assert ConsoleEvent.for_teams(opened, ["coordinator"]).kind == "ticket"
    assert ConsoleEvent.for_teams(opened, ["authority"]) is None
    assert ConsoleEvent.for_teams(handed, ["authority"]).data() == {
        "ticket": 12,
        "action": "handed_over",
        "team": "authority",
        "status": "open",
    }
    # the team it left learns that it left, not where it went
    gone = ConsoleEvent.for_teams(handed, ["coordinator"])
    assert gone.kind == "gone" and gone.data() == {
        "ticket": 12,
        "action": "handed_over",
        "team": "coordinator",
        "status": "",
    }
    assert ConsoleEvent.for_teams(handed, []) is None and ConsoleEvent.for_teams(handed, ["other"]) is None
    assert ConsoleEvent.for_teams(erased, ["authority"]).kind == "gone"
    assert ConsoleEvent.for_teams(erased, ["coordinator"]) is None


async def test_a_row_committed_late_below_the_highest_id_is_still_delivered(database, monkeypatch):
    """On PostgreSQL a transaction can commit an id below one already read; the look-back catches it."""
    late, early = TicketChange(7, 1, "opened", "authority", "open"), TicketChange(8, 2, "opened", "authority", "open")
    reads = [[early], [late, early], [late, early]]  # what three reads after id 6 - LOOKBACK find

    async def changes_after(database, after, limit=500):
        return reads.pop(0)

    monkeypatch.setattr(feed_module, "changes_after", changes_after)
    feed = TicketFeed(database)
    feed._high = 6  # as after a first read
    listener = Listener()
    feed._listeners.add(listener)
    for _ in range(3):
        await feed._read()
    assert [c.id for c in await listener.next(timeout=0.1)] == [8, 7]  # each once, the late one too


async def test_the_feed_reads_only_while_someone_listens(database):
    feed = TicketFeed(database, poll_seconds=0.02)
    try:
        async with feed.listen():
            await asyncio.sleep(0.2)
        reads = feed.reads
        assert reads >= 2
        await asyncio.sleep(0.2)
        assert feed.reads == reads
    finally:
        await feed.close()
