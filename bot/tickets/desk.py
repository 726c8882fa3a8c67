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

# At stop: how long the outbox may take to finish the sends under way. Above the senders' own
# timeouts (WhatsApp's request_timeout_seconds: 10 s by default; Telegram's read timeout: 5 s).
STOP_SENDING_WITHIN_SECONDS = 15.0


@dataclass
class TicketDesk:
    service: TicketService
    handover: Handover
    worker: OutboxWorker
    reminders: TicketReminders
    tasks: list[asyncio.Task] = field(default_factory=list)
    delivering: asyncio.Task | None = None  # the outbox worker's task (one of `tasks`)

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
        self.delivering = self.worker.start()
        self.tasks.append(self.delivering)
        if reminders:
            self.tasks.append(asyncio.create_task(self.reminders.run(), name="ticket-reminders"))

    async def stop(self, within: float = STOP_SENDING_WITHIN_SECONDS) -> None:
        """Stop delivering and reminding.

        The outbox takes no more rows and ends once the sends under way have finished, each bounded
        by its sender's own timeout, and their outcome is recorded (sent, retry, failed). Whatever
        still runs after `within` seconds is cancelled, outside its database transactions: such a
        row keeps its lease and goes out again after it (at-least-once, as after a crash).
        """
        self.worker.stop()
        if self.delivering is not None:
            await asyncio.wait([self.delivering], timeout=within)
            self.delivering = None
        await self.worker.database.cancel_between_transactions(self.tasks)
        self.tasks.clear()
