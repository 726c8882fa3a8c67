"""Everything the web uses of the ticket queue (bot/tickets, bot/handover), in one module.

The console acts through TicketService (claim, answer, hand over, note, close: each an audited
transaction that writes its outbox messages); this module adds the reads the console needs
(the queue with filters from bot/tickets/queue.py, a ticket with its conversation and audit
trail) and the access rule: an account sees and changes only the tickets of its teams. A ticket
of another team is reported as not found, so that its existence is not revealed either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.accounts.service import Account
from bot.config import Config
from bot.db.engine import Database
from bot.db.models import utcnow
from bot.tickets.files import FileStore, SentFile
from bot.tickets.models import CLAIMED, OPEN, TeamFile, Ticket, TicketEvent, TicketMessage
from bot.tickets.queue import AGES, QueueFilter, TicketQueue
from bot.tickets.service import Actor, InvalidTransition, NotAllowed, TicketError, TicketNotFound, TicketService
from bot.window.service import CHANNEL, WindowService
from bot.window.view import TicketWindow, ticket_window, waiting_tickets
from bot.window.view import retry as retry_delivery

__all__ = [
    "AGES",
    "InvalidTransition",
    "NotAllowed",
    "QueueFilter",
    "QueueRow",
    "TicketDetail",
    "TicketError",
    "TicketNotFound",
    "TicketsView",
]


@dataclass(frozen=True)
class QueueRow:
    ticket: Ticket
    age: timedelta
    reminders: tuple[str, ...]  # "overdue", "reannounced", "employer_told": shown as badges


@dataclass(frozen=True)
class TicketDetail:
    ticket: Ticket
    messages: list[TicketMessage]
    events: list[TicketEvent]
    reminders: tuple[str, ...] = ()
    other_teams: tuple[str, ...] = field(default=())
    whatsapp: TicketWindow | None = None  # the 24-hour window and each message's delivery (bot/window)
    files: dict[int, SentFile] = field(default_factory=dict)  # by message id: the files the team sent


def actor(account: Account) -> Actor:
    """The account as the ticket service's actor: staff of its teams, named for colleagues."""
    return Actor("staff", f"web:{account.id}", account.display_name, account.teams)


class TicketsView:
    """The console's reads and actions on tickets, limited to the account's teams."""

    def __init__(self, tickets: TicketService, database: Database, config: Config, clock=utcnow):
        self.tickets = tickets
        self.database = database
        self.config = config
        self.clock = clock
        self.queue_reads = TicketQueue(database)
        self.files = FileStore(database)
        # WhatsApp tickets: the window's state and deliveries; a retry wakes the outbox like any change.
        self.window = WindowService(database, config.whatsapp, clock=clock, on_release=tickets.on_commit)

    def reminders(self, ticket: Ticket, now: datetime) -> tuple[str, ...]:
        badges = []
        overdue = timedelta(minutes=self.config.tickets.reminders.unclaimed_after_minutes)
        if ticket.status == OPEN and now - ticket.created_at > overdue:
            badges.append("overdue")
        if ticket.announced_at and ticket.announced_at - ticket.created_at > timedelta(seconds=5):
            badges.append("reannounced")
        if ticket.employer_waiting_note_at and ticket.status in (OPEN, CLAIMED):
            badges.append("employer_told")
        return tuple(badges)

    async def queue(self, account: Account, wanted: QueueFilter) -> list[QueueRow]:
        teams = [wanted.team] if wanted.team in account.teams else list(account.teams)
        now = self.clock()
        rows = await self.queue_reads.find(teams, wanted, now, claimed_by=actor(account).id)
        waiting = await waiting_tickets(self.window, [t.id for t in rows if t.channel == CHANNEL])
        badges = {t.id: self.reminders(t, now) + (("whatsapp_waiting",) if t.id in waiting else ()) for t in rows}
        return [QueueRow(t, now - t.created_at, badges[t.id]) for t in rows]

    async def counts(self, account: Account) -> dict[str, dict[str, int]]:
        """Per team of the account: how many tickets are open, claimed and answered."""
        return await self.queue_reads.counts(account.teams)

    async def visible(self, account: Account, ticket_id: int) -> Ticket:
        """The ticket, if the account may see it (one of its teams'). Raises TicketNotFound otherwise.

        The one access rule of the ticket's page, its live updates and its files' downloads.
        """
        ticket = await self.tickets.get(ticket_id)
        if ticket.team not in account.teams:
            raise TicketNotFound(f"no ticket #{ticket_id}")
        return ticket

    async def detail(self, account: Account, ticket_id: int) -> TicketDetail:
        """The ticket with its conversation and audit trail. Raises TicketNotFound (also for other teams')."""
        ticket = await self.visible(account, ticket_id)
        district = self.config.teams_in_district(self.config.district_of_team(ticket.team))
        others = tuple(key for key in district if key != ticket.team)  # hand-overs stay within the district
        messages = await self.tickets.messages(ticket_id)
        return TicketDetail(
            ticket,
            messages,
            await self.tickets.events(ticket_id),
            self.reminders(ticket, self.clock()),
            others,
            await ticket_window(self.window, ticket),
            await self.files.sent_in(ticket_id, messages),
        )

    async def file(self, account: Account, ticket_id: int, file_id: int) -> TeamFile:
        """A file the team sent in the ticket, for an account that may see the ticket; else TicketNotFound."""
        await self.visible(account, ticket_id)
        stored = await self.files.in_ticket(file_id, ticket_id)
        if stored is None:
            raise TicketNotFound(f"no file {file_id} in ticket #{ticket_id}")
        return stored

    async def _own(self, account: Account, ticket_id: int) -> None:
        await self.visible(account, ticket_id)

    async def claim(self, account: Account, ticket_id: int) -> Ticket:
        await self._own(account, ticket_id)
        return await self.tickets.claim(ticket_id, actor(account))

    async def answer(self, account: Account, ticket_id: int, text: str) -> Ticket:
        """Relay an answer to the employer through the outbox, on the employer's channel."""
        await self._own(account, ticket_id)
        return await self.tickets.answer(ticket_id, actor(account), text)

    async def note(self, account: Account, ticket_id: int, text: str) -> Ticket:
        await self._own(account, ticket_id)
        return await self.tickets.note(ticket_id, actor(account), text)

    async def hand_over(self, account: Account, ticket_id: int, to_team: str, note: str) -> Ticket:
        await self._own(account, ticket_id)
        return await self.tickets.hand_over(ticket_id, actor(account), to_team, note)

    async def close(self, account: Account, ticket_id: int) -> Ticket:
        await self._own(account, ticket_id)
        return await self.tickets.close(ticket_id, actor(account))

    async def retry(self, account: Account, ticket_id: int, outbox_id: int) -> None:
        """Send a failed WhatsApp message of the ticket again (a new message, not a status change)."""
        await self._own(account, ticket_id)
        if not await retry_delivery(self.window, ticket_id, outbox_id):
            raise InvalidTransition("this message cannot be sent again")
