"""The 24-hour window as plain rules and small repository functions; the WhatsApp adapter only asks.

Rules (docs/whatsapp.md, ../shared/whatsapp.md §4.1):
- The window runs from the employer's last message, by that message's own timestamp (retried
  webhooks can be hours late), and ends `window_margin_minutes` early to be safe.
- Inside it everything is sent. Outside it a team's answer is announced with the approved utility
  template if the employer agreed to be notified, and waits in the outbox; everything else to the
  chat waits too, in order, until the employer taps "Antwort anzeigen" or writes again.
- Lotse's own reminders and auto-close notices go only inside the window: outside it they are
  marked failed with the reason (nothing may look sent that was not).
- A free-form send that WhatsApp refuses with 131047 goes that way once; a second 131047 fails it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import bindparam, delete, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import WhatsAppSettings
from bot.db.batch import Batched
from bot.db.engine import Database
from bot.db.models import utcnow
from bot.tickets.outbox import OutboxItem
from bot.window.deliveries import Deliveries
from bot.window.models import CHANNEL, CHATS, WhatsAppChat, WhatsAppDelivery, rowcount
from bot.window.turns import Taken, Turn, write_turns

log = logging.getLogger(__name__)

REMINDERS = ("waiting", "autoclosed")  # the ticket service's purposes of Lotse's own reminders
TEMPLATED = ("answer",)  # what is announced with the template when the window is closed
STOP_WORDS = frozenset({"stop", "stopp", "abmelden", "unsubscribe"})


class Action(StrEnum):
    SEND = "send"  # inside the window
    TEMPLATE = "template"  # announce with the template, then hold
    HOLD = "hold"  # wait for the employer
    SKIP = "skip"  # a reminder outside the window: not sent


class Hold(StrEnum):
    """Why something waits; all but TEMPLATE_SENT mean "the employer must write again"."""

    NO_CONSENT = "no_consent"
    TEMPLATE_PROBLEM = "template_problem"
    TEMPLATE_SENT = "template_sent"
    WINDOW_CLOSED = "window_closed"


@dataclass(frozen=True)
class Window:
    """A WhatsApp chat as the rules see it."""

    chat_id: str
    phone: str | None = None
    last_inbound_at: datetime | None = None
    closed_at: datetime | None = None
    notify_consent: bool | None = None
    template_sent_at: datetime | None = None
    template_problem: str | None = None
    has_choices: bool = False  # numbered choices are stored (typed numbers mean something)
    known: bool = False  # the chat has a row (False after /delete)

    def recipient(self) -> dict:
        """Address by phone when WhatsApp gave one, else by the business-scoped user id."""
        return {"to": self.phone} if self.phone else {"recipient": self.chat_id}


@dataclass(frozen=True)
class Plan:
    action: Action
    reason: str
    window: Window


def open_until(
    window: Window | None, settings: WhatsAppSettings, inbound_at: datetime | None = None
) -> datetime | None:
    """When Lotse stops sending free-form messages to the chat (margin included); None: closed."""
    last = max((at for at in (window and window.last_inbound_at, inbound_at) if at), default=None)
    if last is None or (window and window.closed_at and window.closed_at >= last):
        return None
    return last + timedelta(hours=settings.window_hours) - timedelta(minutes=settings.window_margin_minutes)


def decide(
    purpose: str | None, window: Window, now: datetime, settings: WhatsAppSettings, inbound_at: datetime | None = None
) -> tuple[Action, str]:
    """What to do with an outbox row to a WhatsApp chat now, and why."""
    until = open_until(window, settings, inbound_at)
    if until is not None and now < until:
        return Action.SEND, "inside the window"
    if purpose in REMINDERS:
        return Action.SKIP, "not sent: the 24-hour window is closed (reminders only inside it)"
    if purpose not in TEMPLATED:
        return Action.HOLD, Hold.WINDOW_CLOSED
    if not window.notify_consent:
        return Action.HOLD, Hold.NO_CONSENT
    if window.template_problem:
        return Action.HOLD, Hold.TEMPLATE_PROBLEM
    if window.template_sent_at and (window.last_inbound_at is None or window.template_sent_at > window.last_inbound_at):
        return Action.HOLD, Hold.TEMPLATE_SENT
    return Action.TEMPLATE, "window closed, the employer agreed to be notified"


_chats = CHATS
# Built once (see bot/db/store.py): the read before every send, for the chats of rows sent together.
_WINDOWS = select(
    _chats.c.chat_id,
    _chats.c.phone,
    _chats.c.last_inbound_at,
    _chats.c.closed_at,
    _chats.c.notify_consent,
    _chats.c.template_sent_at,
    _chats.c.template_problem,
    _chats.c.choices.is_not(None),
    literal(True),
).where(_chats.c.chat_id.in_(bindparam("chat_ids", expanding=True)))


def is_stop(text: str) -> bool:
    return text.strip().strip("!.").lower() in STOP_WORDS


class WindowService(Deliveries):
    """The WhatsApp chats' windows, consents and deliveries.

    Args:
        database: the process's database.
        settings: config.whatsapp.
        clock: the current time (tests move it).
        on_release: called when held outbox rows became due (wakes the outbox worker).
    """

    def __init__(
        self,
        database: Database,
        settings: WhatsAppSettings,
        clock: Callable[[], datetime] = utcnow,
        on_release: Callable[[], None] | None = None,
    ):
        self.database = database
        self.settings = settings
        self.clock = clock
        self.on_release = on_release or (lambda: None)
        # Concurrent callers share one transaction: the outbox sends a round's rows at once.
        self._turns = Batched(self._take_many)
        self._windows = Batched(self._read_windows)

    # -- the chat ------------------------------------------------------------------------------------------------

    async def window(self, chat_id: str) -> Window | None:
        """The chat's window; None if it has none (never wrote, or erased)."""
        return await self._windows(chat_id)

    async def _read_windows(self, chat_ids: Sequence[str]) -> list[Window | None]:
        async with self.database.read() as session:
            rows = (await session.execute(_WINDOWS, {"chat_ids": sorted(set(chat_ids))})).all()
        found = {row[0]: Window(*row) for row in rows}
        return [found.get(chat_id) for chat_id in chat_ids]

    async def _update_chat(self, chat_id: str, **values) -> bool:
        async with self.database.transaction() as session:
            done = await session.execute(
                update(WhatsAppChat).where(WhatsAppChat.chat_id == chat_id).values(updated_at=self.clock(), **values)
            )
            return rowcount(done) == 1

    async def set_consent(self, chat_id: str, given: bool) -> None:
        """Store the employer's answer to "may we notify you?", with the time and the wording's version."""
        await self._update_chat(
            chat_id, notify_consent=given, consent_at=self.clock(), consent_version=self.settings.consent_version
        )

    async def revoke(self, chat_id: str) -> None:
        """STOP: no more template notifications to this chat."""
        await self.set_consent(chat_id, False)

    async def set_choices(self, chat_id: str, choices: list[str] | None) -> None:
        await self._update_chat(chat_id, choices=choices)

    async def choice(self, chat_id: str, text: str) -> str | None:
        """The payload of a numbered choice the employer typed ("2"), if the last choice offered had one."""
        number = text.strip().rstrip(".)")
        if not number.isdigit() or len(number) > 3:
            return None
        async with self.database.read() as session:
            choices = (
                await session.execute(select(WhatsAppChat.choices).where(WhatsAppChat.chat_id == chat_id))
            ).scalar_one_or_none()
        index = int(number) - 1
        return choices[index] if choices and 0 <= index < len(choices) else None

    # -- sending -------------------------------------------------------------------------------------------------

    async def plan(self, item: OutboxItem) -> Plan:
        """What the WhatsApp sender should do with a claimed row."""
        window = await self.window(item.chat_id) or Window(item.chat_id)
        inbound_at = item.payload.get("inbound_at")
        inbound = datetime.fromisoformat(inbound_at) if inbound_at else None
        action, reason = decide(item.purpose, window, self.clock(), self.settings, inbound)
        return Plan(action, reason, window)

    async def template_sent(self, chat_id: str, problem: str | None = None) -> None:
        if problem is None:
            await self._update_chat(chat_id, template_sent_at=self.clock(), template_problem=None)
        else:
            await self._update_chat(chat_id, template_problem=problem[:200])

    async def closed_by_whatsapp(self, chat_id: str) -> None:
        await self._update_chat(chat_id, closed_at=self.clock())

    # -- the employer's messages -------------------------------------------------------------------------------

    async def take(self, turn: Turn) -> Taken:
        """The employer wrote and Lotse answers: the window reopens, held rows become due (they go first),
        and the answer is queued, in one transaction shared with the turns of other chats taken meanwhile."""
        taken = await self._turns(turn)
        if taken.released:
            log.info("whatsapp %s wrote again: %d held messages released", turn.chat_id, taken.released)
        if taken.released or taken.outbox_id is not None:
            self.on_release()
        return taken

    async def _take_many(self, turns: Sequence[Turn]) -> list[Taken]:
        now = self.clock()
        async with self.database.transaction() as session:
            return await write_turns(session, self.database.dialect, turns, now)

    # -- /delete -------------------------------------------------------------------------------------------------

    async def erase(self, session: AsyncSession, channel: str, chat_id: str) -> None:
        """The chat's window, consent and delivery records go with /delete (in its transaction)."""
        if channel != CHANNEL:
            return
        await session.execute(delete(WhatsAppDelivery).where(WhatsAppDelivery.chat_id == chat_id))
        await session.execute(delete(WhatsAppChat).where(WhatsAppChat.chat_id == chat_id))
