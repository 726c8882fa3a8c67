"""The ticket queue as one unit for the composition roots: service, hand-over flow, outbox worker,
reminders, and the background tasks that run them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.config import Config
from bot.db.engine import Database
from bot.db.models import utcnow
from bot.handover import Handover
from bot.tickets.conversation import ConversationStore
from bot.tickets.outbox import OutboxWorker, Sender
from bot.tickets.reminders import TicketReminders
from bot.tickets.service import TicketService


@dataclass
class TicketDesk:
    service: TicketService
    handover: Handover
    worker: OutboxWorker
    reminders: TicketReminders
    tasks: list[asyncio.Task] = field(default_factory=list)

    @classmethod
    def build(
        cls, database: Database, config: Config, senders: dict[str, Sender], clock: Callable[[], datetime] = utcnow
    ) -> TicketDesk:
        """Wire the queue; `senders` deliver the outbox per channel ("telegram", "terminal", ...)."""
        worker = OutboxWorker(database, senders, config.tickets.outbox, clock=clock)
        service = TicketService(database, config, clock=clock, on_commit=worker.wake)
        handover = Handover(config, service, ConversationStore(database))
        return cls(service, handover, worker, TicketReminders(service, config.tickets.reminders, clock))

    def start(self, reminders: bool = True) -> None:
        """Start delivering (and reminding) in the background of the running event loop."""
        self.tasks.append(asyncio.create_task(self.worker.run(), name="outbox"))
        if reminders:
            self.tasks.append(asyncio.create_task(self.reminders.run(), name="ticket-reminders"))

    async def stop(self) -> None:
        """Stop delivering and reminding; a round in a transaction finishes it first."""
        await self.worker.database.cancel_between_transactions(self.tasks)
        self.tasks.clear()
