"""The ticket lifecycle: open → claimed → answered → closed, reopened by the employer's reply.

Every change is one transaction that also writes its audit event and its outgoing messages (the
outbox), so a change and its notifications are committed, or neither is. Concurrent changes to a
ticket are serialised: a claim is a conditional UPDATE (… WHERE status = 'open', rowcount 1), the
portable way on both databases; the other changes lock the ticket row first (FOR UPDATE on
PostgreSQL; on SQLite the first statement is a write, which takes the database's write lock).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config, route_of_team
from bot.db.engine import Database
from bot.db.models import Chat, DecisionLog, utcnow
from bot.messages import Button, Reply
from bot.metrics import HANDOVERS
from bot.texts import t
from bot.tickets import staff, tidy
from bot.tickets.erasure import erase_chat
from bot.tickets.models import (
    ACTIVE,
    ANSWERED,
    CLAIMED,
    CLOSED,
    OPEN,
    OutboxMessage,
    Ticket,
    TicketEvent,
    TicketMessage,
)
from bot.tickets.outbox import enqueue, reply_payload

log = logging.getLogger(__name__)


class TicketError(Exception):
    """A ticket operation that cannot be done; the message says why, for logs and staff."""


class TicketNotFound(TicketError):
    pass


class InvalidTransition(TicketError):
    pass


class NotAllowed(TicketError):
    pass


@dataclass(frozen=True)
class Actor:
    """Who changes a ticket: an employer (their chat), a staff member (their teams), or the system."""

    kind: str  # employer | staff | system
    id: str = ""
    name: str = ""
    teams: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.id}" if self.id else self.kind

    @classmethod
    def system(cls) -> Actor:
        return cls("system", name="Lotse")


@dataclass(frozen=True)
class Contact:
    method: str  # chat | phone | email
    value: str | None = None


async def _get_ticket(session: AsyncSession, ticket_id: int) -> Ticket:
    """The ticket by id, in this session; TicketNotFound if there is no such row."""
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None:
        raise TicketNotFound(f"no ticket #{ticket_id}")
    return ticket


def _insert(database: Database, model):
    return (postgresql.insert if database.dialect == "postgresql" else sqlite.insert)(model)


class TicketService:
    """Open, claim, answer, hand over, close, reopen, solve and delete tickets.

    Args:
        database: the bot's database.
        config: teams, reminders and retention (config.tickets), texts' contacts.
        clock: the current time (tests pass a fake one).
        on_commit: called after a commit that enqueued messages (wakes the outbox worker).
    """

    def __init__(
        self,
        database: Database,
        config: Config,
        clock: Callable[[], datetime] = utcnow,
        on_commit: Callable[[], None] | None = None,
    ):
        self.database = database
        self.config = config
        self.settings = config.tickets
        self.clock = clock
        self.on_commit = on_commit or (lambda: None)
        # Channels' own records of a chat, erased in delete_chat's transaction: (session, channel, chat_id).
        self.erasers: list[Callable[[AsyncSession, str, str], Awaitable[None]]] = []

    # -- reading -------------------------------------------------------------------------------------------------

    async def get(self, ticket_id: int) -> Ticket:
        async with self.database.transaction() as session:
            ticket = await session.get(Ticket, ticket_id)
        if ticket is None or ticket.deleted_at is not None:
            raise TicketNotFound(f"no ticket #{ticket_id}")
        return ticket

    async def for_chat(self, channel: str, chat_id: str) -> list[Ticket]:
        """The chat's tickets, newest first."""
        async with self.database.transaction() as session:
            return list(
                (
                    await session.execute(
                        select(Ticket)
                        .where(Ticket.channel == channel, Ticket.chat_external_id == chat_id)
                        .order_by(Ticket.id.desc())
                    )
                ).scalars()
            )

    async def active_for_chat(self, channel: str, chat_id: str) -> Ticket | None:
        """The chat's newest ticket that is not closed."""
        return next((ticket for ticket in await self.for_chat(channel, chat_id) if ticket.status in ACTIVE), None)

    async def messages(self, ticket_id: int) -> list[TicketMessage]:
        async with self.database.transaction() as session:
            return list(
                (
                    await session.execute(
                        select(TicketMessage).where(TicketMessage.ticket_id == ticket_id).order_by(TicketMessage.id)
                    )
                ).scalars()
            )

    async def events(self, ticket_id: int) -> list[TicketEvent]:
        async with self.database.transaction() as session:
            return list(
                (
                    await session.execute(
                        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
                    )
                ).scalars()
            )

    async def for_staff_message(
        self, chat_id: int, thread_id: int | None, reply_to: int | None
    ) -> tuple[Ticket | None, str | None]:
        """The ticket a message in a staff group belongs to (its topic, or a reply to one of its
        messages), and the purpose of the message replied to ("handover_prompt", "card", ...)."""
        async with self.database.transaction() as session:
            if reply_to is not None:
                row = (
                    await session.execute(
                        select(OutboxMessage.ticket_id, OutboxMessage.purpose)
                        .where(
                            OutboxMessage.chat_id == str(chat_id), OutboxMessage.external_message_id == str(reply_to)
                        )
                        .order_by(OutboxMessage.id.desc())
                        .limit(1)
                    )
                ).first()
                if row is not None and row.ticket_id is not None:
                    return await session.get(Ticket, row.ticket_id), row.purpose
            if thread_id is not None:
                ticket = (
                    (
                        await session.execute(
                            select(Ticket).where(Ticket.staff_chat_id == chat_id, Ticket.staff_thread_id == thread_id)
                        )
                    )
                    .scalars()
                    .first()
                )
                if ticket is not None:
                    return ticket, None
        return None, None

    async def recent_questions(self, session: AsyncSession, channel: str, chat_id: str, limit: int) -> list[dict]:
        if limit <= 0:
            return []
        rows = (
            (
                await session.execute(
                    select(DecisionLog)
                    .join(Chat, Chat.id == DecisionLog.chat_id)
                    .where(Chat.channel == channel, Chat.external_id == chat_id)
                    .order_by(DecisionLog.id.desc())
                    .limit(limit)
                )
            )
            .scalars()
            .all()
        )
        return [{"question": r.question, "route": r.route, "faq_id": r.faq_id} for r in reversed(rows)]

    async def last_question(self, channel: str, chat_id: str, within: timedelta = timedelta(hours=1)) -> str | None:
        """The chat's latest question, if recent: what "Ask a person" under an answer refers to."""
        async with self.database.transaction() as session:
            row = (
                await session.execute(
                    select(DecisionLog.question, DecisionLog.created_at)
                    .join(Chat, Chat.id == DecisionLog.chat_id)
                    .where(Chat.channel == channel, Chat.external_id == chat_id)
                    .order_by(DecisionLog.id.desc())
                    .limit(1)
                )
            ).first()
        if row is None or row.created_at < self.clock() - within:
            return None
        return row.question

    # -- writing: helpers ----------------------------------------------------------------------------------------

    async def _lock(self, session: AsyncSession, ticket_id: int) -> Ticket:
        """The ticket, locked against concurrent changes until the transaction ends."""
        if self.database.dialect == "postgresql":
            ticket = (
                await session.execute(select(Ticket).where(Ticket.id == ticket_id).with_for_update())
            ).scalar_one_or_none()
        else:  # a write first: SQLite's write lock is taken here, not at the commit
            await session.execute(update(Ticket).where(Ticket.id == ticket_id).values(version=Ticket.version))
            ticket = (
                await session.execute(
                    select(Ticket).where(Ticket.id == ticket_id).execution_options(populate_existing=True)
                )
            ).scalar_one_or_none()
        if ticket is None or ticket.deleted_at is not None:
            raise TicketNotFound(f"no ticket #{ticket_id}")
        return ticket

    def _may_act(self, ticket: Ticket, actor: Actor) -> None:
        if actor.kind == "staff" and ticket.team not in actor.teams:
            raise NotAllowed(
                t(
                    "st_not_member",
                    self.settings.teams[ticket.team].lang,
                    team=staff.team_name(self.config, ticket.team, self.settings.teams[ticket.team].lang),
                )
            )

    def _event(
        self, session: AsyncSession, ticket: Ticket, actor: Actor, action: str, before: str | None, **detail
    ) -> None:
        if actor.name:
            detail.setdefault("name", actor.name)
        session.add(
            TicketEvent(
                ticket_id=ticket.id,
                actor=actor.label,
                action=action,
                from_status=before,
                to_status=ticket.status,
                detail=detail,
                at=self.clock(),
            )
        )

    def _touch(self, ticket: Ticket, status: str | None = None) -> None:
        if status is not None:
            ticket.status = status
        ticket.version += 1
        ticket.updated_at = self.clock()

    def _answered_by(self, ticket: Ticket, actor: Actor, now: datetime) -> None:
        """A team's answer (a text or a file): an open ticket is its author's now, and answered."""
        if ticket.status == OPEN:
            ticket.claimed_by, ticket.claimed_by_name, ticket.claimed_at = actor.id, actor.name, now
        self._touch(ticket, ANSWERED)
        ticket.answered_at, ticket.employer_waiting_note_at = now, None

    def _to_employer(
        self, session: AsyncSession, ticket: Ticket, reply: Reply, purpose: str, dedup_key: str | None = None
    ) -> None:
        if ticket.channel and ticket.chat_external_id:
            enqueue(
                session,
                ticket.channel,
                ticket.chat_external_id,
                reply_payload(reply, ticket.lang),
                ticket_id=ticket.id,
                purpose=purpose,
                dedup_key=dedup_key,
                now=self.clock(),
            )

    def _note(self, ticket: Ticket, actor: Actor, text: str, source_key: str | None = None) -> TicketMessage:
        """An internal note of the team on `ticket` (never sent to the employer)."""
        return TicketMessage(
            ticket_id=ticket.id,
            author="note",
            author_id=actor.id,
            author_name=actor.name,
            text=text,
            source_key=source_key,
            created_at=self.clock(),
        )

    def _tell_both(
        self, session: AsyncSession, ticket: Ticket, actor: Actor, staff_key: str, employer_key: str, purpose: str
    ) -> None:
        """A status change told to the team's staff group (with who did it) and to the employer (with the team)."""
        lang = self.settings.teams[ticket.team].lang
        self._to_staff(session, ticket, t(staff_key, lang, number=str(ticket.id), name=actor.name), "status")
        team = staff.team_name(self.config, ticket.team, ticket.lang)
        self._to_employer(
            session, ticket, Reply(t(employer_key, ticket.lang, number=str(ticket.id), team=team)), purpose
        )

    def _to_staff(
        self,
        session: AsyncSession,
        ticket: Ticket,
        text: str,
        purpose: str,
        buttons: tuple = (),
        dedup_key: str | None = None,
    ) -> None:
        """A note in the ticket's topic, or as a reply to its card."""
        if ticket.staff_chat_id is None:
            return
        team = self.settings.teams[ticket.team]
        enqueue(
            session,
            "telegram",
            ticket.staff_chat_id,
            reply_payload(Reply(text, buttons=buttons), team.lang, thread="ticket", reply_to="card"),
            ticket_id=ticket.id,
            purpose=purpose,
            dedup_key=dedup_key,
            now=self.clock(),
        )

    def _announce(self, session: AsyncSession, ticket: Ticket, note: str = "", from_team: str = "") -> None:
        """Post the ticket to its team's group: a new forum topic with the card, or a card message."""
        team = self.settings.teams[ticket.team]
        ticket.staff_chat_id, ticket.staff_thread_id, ticket.staff_message_id = team.telegram_group, None, None
        ticket.announced_at = self.clock()
        if team.telegram_group is None:
            return
        if team.forum:
            enqueue(
                session,
                "telegram",
                team.telegram_group,
                {"name": staff.topic_name(ticket, team)},
                kind="topic",
                ticket_id=ticket.id,
                purpose="topic",
                now=self.clock(),
            )
        card = staff.card(self.config, ticket, team, note=note, from_team=from_team)
        enqueue(
            session,
            "telegram",
            team.telegram_group,
            reply_payload(card, team.lang, thread="ticket"),
            ticket_id=ticket.id,
            purpose="card",
            now=self.clock(),
        )

    async def _commit(self, work) -> Ticket:
        async with self.database.transaction() as session:
            ticket = await work(session)
        self.on_commit()
        return ticket

    # -- the employer's side -------------------------------------------------------------------------------------

    async def open(
        self,
        *,
        channel: str,
        chat_id: str,
        team: str,
        lang: str,
        question: str,
        company: str,
        contact: Contact,
        classification: dict | None = None,
        source_key: str | None = None,
    ) -> Ticket:
        """Open a ticket in a team's queue and announce it there.

        Args:
            source_key: the inbound update that confirmed it ("telegram:<update_id>"): the same key
                again returns the ticket opened the first time instead of a second one.

        Returns:
            The ticket (also when it had been opened before with this source_key).
        """
        if team not in self.settings.teams:
            raise NotAllowed(f"no team {team!r} in config.yml tickets.teams")
        now = self.clock()

        async def work(session: AsyncSession) -> Ticket:
            inserted = await session.execute(
                _insert(self.database, Ticket)
                .values(
                    team=team,
                    status=OPEN,
                    version=1,
                    channel=channel,
                    chat_external_id=chat_id,
                    lang=lang,
                    question=question,
                    classification=classification or {},
                    history=[],
                    company=company,
                    contact_method=contact.method,
                    contact_value=contact.value,
                    source_key=source_key,
                    created_at=now,
                    updated_at=now,
                )
                .on_conflict_do_nothing(index_elements=["source_key"])
                .returning(Ticket.id)
            )
            new_id = inserted.scalar_one_or_none()
            if new_id is None:
                log.info("ticket for %s exists already (redelivered update)", source_key)
                return (await session.execute(select(Ticket).where(Ticket.source_key == source_key))).scalar_one()
            ticket = await _get_ticket(session, new_id)
            history = await self.recent_questions(session, channel, chat_id, self.settings.recent_messages + 1)
            ticket.history = (
                [h for h in history if h["question"] != question][-self.settings.recent_messages :]
                if self.settings.recent_messages
                else []
            )
            session.add(TicketMessage(ticket_id=ticket.id, author="employer", text=question, created_at=now))
            self._event(session, ticket, Actor("employer", f"{channel}:{chat_id}"), "opened", None, team=team)
            self._announce(session, ticket)
            await session.flush()
            return ticket

        ticket = await self._commit(work)
        HANDOVERS.labels(ticket.team).inc()
        return ticket

    async def employer_message(
        self, ticket_id: int, channel: str, chat_id: str, text: str, source_key: str | None = None
    ) -> tuple[Ticket, bool]:
        """Add the employer's message to their ticket; an answered (or recently closed) ticket reopens.

        Returns:
            The ticket and whether it was reopened.

        Raises:
            TicketNotFound: no such ticket in this chat.
            InvalidTransition: closed longer ago than tickets.reopen_within_days.
        """

        async def work(session: AsyncSession) -> tuple[Ticket, bool]:
            ticket = await self._employers(session, ticket_id, channel, chat_id)
            if (
                source_key
                and (
                    await session.execute(select(TicketMessage.id).where(TicketMessage.source_key == source_key))
                ).first()
            ):
                return ticket, False
            before, reopened = ticket.status, False
            if ticket.status in (ANSWERED, CLOSED):
                since = ticket.answered_at or ticket.closed_at or ticket.updated_at
                if self.clock() - since > timedelta(days=self.settings.reopen_within_days):
                    raise InvalidTransition(f"ticket #{ticket.id} was closed too long ago to reopen")
                self._touch(ticket, CLAIMED if ticket.claimed_by else OPEN)
                ticket.closed_at, ticket.close_reason, reopened = None, None, True
                ticket.employer_waiting_note_at = None
            else:
                self._touch(ticket)
            session.add(
                TicketMessage(
                    ticket_id=ticket.id, author="employer", text=text, source_key=source_key, created_at=self.clock()
                )
            )
            employer = Actor("employer", f"{channel}:{chat_id}")
            self._event(session, ticket, employer, "reopened" if reopened else "employer_message", before)
            lang = self.settings.teams[ticket.team].lang
            self._to_staff(
                session,
                ticket,
                t("st_employer_says", lang, number=str(ticket.id), text=staff.clip(text)),
                "employer_message",
            )
            if reopened:
                self._to_staff(session, ticket, t("st_reopened", lang, number=str(ticket.id)), "status")
                if before == CLOSED:
                    tidy.show_reopened(session, self.config, ticket, self.clock())
            return ticket, reopened

        async with self.database.transaction() as session:
            result = await work(session)
        self.on_commit()
        return result

    async def solve(self, ticket_id: int, channel: str, chat_id: str) -> Ticket:
        """The employer marks their ticket solved: it closes."""

        async def work(session: AsyncSession) -> Ticket:
            ticket = await self._employers(session, ticket_id, channel, chat_id)
            if ticket.status == CLOSED:
                raise InvalidTransition(f"ticket #{ticket.id} is closed already")
            before = ticket.status
            self._touch(ticket, CLOSED)
            ticket.closed_at, ticket.close_reason = self.clock(), "solved"
            self._event(session, ticket, Actor("employer", f"{channel}:{chat_id}"), "solved", before)
            self._to_staff(
                session, ticket, t("st_solved", self.settings.teams[ticket.team].lang, number=str(ticket.id)), "status"
            )
            tidy.show_closed(session, self.config, ticket, self.clock())
            return ticket

        return await self._commit(work)

    async def _employers(self, session: AsyncSession, ticket_id: int, channel: str, chat_id: str) -> Ticket:
        ticket = await self._lock(session, ticket_id)
        if (ticket.channel, ticket.chat_external_id) != (channel, chat_id):
            raise TicketNotFound(f"no ticket #{ticket_id} in this chat")  # never reveal other chats' tickets
        return ticket

    # -- the staff's side ----------------------------------------------------------------------------------------

    async def claim(self, ticket_id: int, actor: Actor) -> Ticket:
        """Take an open ticket. Two coordinators pressing at once: exactly one gets it.

        Raises:
            TicketNotFound, NotAllowed (not in the ticket's team), InvalidTransition (not open).
        """
        now = self.clock()

        async def work(session: AsyncSession) -> Ticket:
            claimed = cast(
                CursorResult[Any],
                await session.execute(
                    update(Ticket)
                    .where(
                        Ticket.id == ticket_id,
                        Ticket.status == OPEN,
                        Ticket.deleted_at.is_(None),
                        Ticket.team.in_(actor.teams),
                    )
                    .values(
                        status=CLAIMED,
                        claimed_by=actor.id,
                        claimed_by_name=actor.name,
                        claimed_at=now,
                        updated_at=now,
                        version=Ticket.version + 1,
                    )
                    .execution_options(synchronize_session=False)
                ),
            )
            ticket = (
                await session.execute(
                    select(Ticket).where(Ticket.id == ticket_id).execution_options(populate_existing=True)
                )
            ).scalar_one_or_none()
            if claimed.rowcount != 1 or ticket is None:
                if ticket is None or ticket.deleted_at is not None:
                    raise TicketNotFound(f"no ticket #{ticket_id}")
                self._may_act(ticket, actor)
                who = f" by {ticket.claimed_by_name}" if ticket.status == CLAIMED and ticket.claimed_by_name else ""
                raise InvalidTransition(f"ticket #{ticket_id} is {ticket.status}{who}")
            self._event(session, ticket, actor, "claimed", OPEN)
            self._tell_both(session, ticket, actor, "st_claimed", "ho_claimed_note", "claimed")
            return ticket

        return await self._commit(work)

    async def answer(self, ticket_id: int, actor: Actor, text: str, source_key: str | None = None) -> Ticket:
        """Relay a staff member's answer to the employer, signed with the team's name.

        An open ticket is claimed by the answer; an answered one can be answered again.
        """

        async def work(session: AsyncSession) -> Ticket:
            ticket = await self._lock(session, ticket_id)
            self._may_act(ticket, actor)
            if (
                source_key
                and (
                    await session.execute(select(TicketMessage.id).where(TicketMessage.source_key == source_key))
                ).first()
            ):
                return ticket  # a redelivered update: answered already
            if ticket.status == CLOSED:
                raise InvalidTransition(f"ticket #{ticket.id} is closed")
            if ticket.channel is None:
                raise InvalidTransition(f"ticket #{ticket.id}: the employer deleted their data")
            before, now = ticket.status, self.clock()
            self._answered_by(ticket, actor, now)
            message = TicketMessage(
                ticket_id=ticket.id,
                author="staff",
                author_id=actor.id,
                author_name=actor.name,
                text=text,
                source_key=source_key,
                created_at=now,
            )
            session.add(message)
            await session.flush()
            self._event(session, ticket, actor, "answered", before, message_id=message.id)
            self._to_employer(
                session,
                ticket,
                staff.employer_answer(self.config, ticket, text),
                "answer",
                dedup_key=f"answer:{message.id}",
            )
            return ticket

        return await self._commit(work)

    async def note(self, ticket_id: int, actor: Actor, text: str, source_key: str | None = None) -> Ticket:
        """An internal note on a ticket: kept in its history, never sent to the employer."""

        async def work(session: AsyncSession) -> Ticket:
            ticket = await self._lock(session, ticket_id)
            self._may_act(ticket, actor)
            self._touch(ticket)
            session.add(self._note(ticket, actor, text, source_key))
            self._event(session, ticket, actor, "note", ticket.status)
            return ticket

        return await self._commit(work)

    async def prompt_handover(self, ticket_id: int, actor: Actor) -> Ticket:
        """Ask in the staff group for a hand-over note (a reply to the prompt), or to hand over without one."""

        async def work(session: AsyncSession) -> Ticket:
            ticket = await self._lock(session, ticket_id)
            self._may_act(ticket, actor)
            if ticket.status == CLOSED:
                raise InvalidTransition(f"ticket #{ticket.id} is closed")
            lang = self.settings.teams[ticket.team].lang
            other = staff.team_name(self.config, staff.other_team(self.config, ticket.team), lang)
            self._to_staff(
                session,
                ticket,
                t("st_handover_prompt", lang, number=str(ticket.id), team=other),
                "handover_prompt",
                buttons=((Button(t("st_handover_now", lang), f"st:{ticket.id}:handover_now"),),),
            )
            return ticket

        return await self._commit(work)

    async def hand_over(self, ticket_id: int, actor: Actor, to_team: str, note: str = "") -> Ticket:
        """Give the ticket to another team, with a note; it is announced in that team's group."""
        if to_team not in self.settings.teams:
            raise NotAllowed(f"no team {to_team!r}")

        async def work(session: AsyncSession) -> Ticket:
            ticket = await self._lock(session, ticket_id)
            self._may_act(ticket, actor)
            if ticket.status == CLOSED:
                raise InvalidTransition(f"ticket #{ticket.id} is closed")
            if ticket.team == to_team:
                raise InvalidTransition(f"ticket #{ticket.id} is with {to_team} already")
            if self.config.district_of_team(to_team) != self.config.district_of_team(ticket.team):
                raise NotAllowed(f"{to_team} is a team of another district")
            before, from_team = ticket.status, ticket.team
            old_lang = self.settings.teams[from_team].lang
            self._to_staff(
                session,
                ticket,
                t(
                    "st_handed_over",
                    old_lang,
                    number=str(ticket.id),
                    name=actor.name,
                    team=staff.team_name(self.config, to_team, old_lang),
                ),
                "status",
            )
            ticket.team = to_team
            ticket.claimed_by = ticket.claimed_by_name = ticket.claimed_at = None
            self._touch(ticket, OPEN)
            if note:
                session.add(self._note(ticket, actor, note))
            self._event(session, ticket, actor, "handed_over", before, from_team=from_team, to_team=to_team, note=note)
            self._announce(
                session,
                ticket,
                note=note,
                from_team=staff.team_name(self.config, from_team, self.settings.teams[to_team].lang),
            )
            name = staff.team_name(self.config, to_team, ticket.lang)
            self._to_employer(
                session,
                ticket,
                Reply(
                    t(
                        "ho_handed_over_note",
                        ticket.lang,
                        number=str(ticket.id),
                        team=name,
                        response_time=self.settings.teams[to_team].response_time.get(ticket.lang),
                    )
                ),
                "handed_over",
            )
            return ticket

        return await self._commit(work)

    async def close(self, ticket_id: int, actor: Actor) -> Ticket:
        """Close a ticket for good (staff); the employer is told."""

        async def work(session: AsyncSession) -> Ticket:
            ticket = await self._lock(session, ticket_id)
            self._may_act(ticket, actor)
            if ticket.status == CLOSED:
                raise InvalidTransition(f"ticket #{ticket.id} is closed already")
            before = ticket.status
            self._touch(ticket, CLOSED)
            ticket.closed_at, ticket.close_reason = self.clock(), "staff"
            self._event(session, ticket, actor, "closed", before)
            self._tell_both(session, ticket, actor, "st_closed", "ho_closed_note", "closed")
            tidy.show_closed(session, self.config, ticket, self.clock())
            return ticket

        return await self._commit(work)

    # -- privacy -------------------------------------------------------------------------------------------------

    async def delete_chat(self, channel: str, chat_id: str) -> int:
        """Erase everything about a chat (bot/tickets/erasure.py); returns how many tickets went or were anonymised."""
        erased = await erase_chat(self.database, self.config, channel, chat_id, self.clock, also=self.erasers)
        self.on_commit()
        return erased

    # -- reminders (bot/tickets/reminders.py drives these) -------------------------------------------------------

    async def remind_unclaimed(self, older_than: timedelta, teams: Sequence[str] | None = None) -> list[int]:
        """Re-announce open tickets nobody claimed for `older_than` (of `teams` only, if given); returns their ids."""
        cutoff, done = self.clock() - older_than, []
        of_teams = Ticket.team.in_(teams) if teams is not None else true()
        async with self.database.transaction() as session:
            due = (
                update(Ticket)
                .where(Ticket.status == OPEN, Ticket.announced_at < cutoff, Ticket.deleted_at.is_(None), of_teams)
                .values(announced_at=self.clock())
                .execution_options(synchronize_session=False)
            )
            ids = [row[0] for row in (await session.execute(due.returning(Ticket.id))).all()]
            for ticket_id in ids:
                ticket = await _get_ticket(session, ticket_id)
                lang = self.settings.teams[ticket.team].lang
                since = ticket.created_at.astimezone(self._zone()).strftime("%d.%m. %H:%M")
                self._to_staff(
                    session,
                    ticket,
                    t("st_reminder", lang, number=str(ticket.id), since=since),
                    "reminder",
                    buttons=staff.staff_buttons(self.config, ticket, lang)[:1],
                )
                self._event(session, ticket, Actor.system(), "reminded", ticket.status)
                done.append(ticket_id)
        if done:
            self.on_commit()
        return done

    async def tell_waiting_employers(self, older_than: timedelta) -> list[int]:
        """Tell employers whose ticket has had no answer for `older_than` that it is not forgotten (once)."""
        cutoff, done = self.clock() - older_than, []
        async with self.database.transaction() as session:
            due = (
                update(Ticket)
                .where(
                    Ticket.status.in_((OPEN, CLAIMED)),
                    Ticket.updated_at < cutoff,
                    Ticket.employer_waiting_note_at.is_(None),
                    Ticket.deleted_at.is_(None),
                    Ticket.channel.is_not(None),
                )
                .values(employer_waiting_note_at=self.clock())
                .execution_options(synchronize_session=False)
            )
            ids = [row[0] for row in (await session.execute(due.returning(Ticket.id))).all()]
            for ticket_id in ids:
                ticket = await _get_ticket(session, ticket_id)
                route = route_of_team(ticket.team)
                contacts = self.config.district(self.config.district_of_team(ticket.team)).contacts
                contact = contacts.placeholders(ticket.lang)[route] if route in ("authority", "coordinator") else ""
                self._to_employer(
                    session,
                    ticket,
                    Reply(
                        t(
                            "ho_still_waiting",
                            ticket.lang,
                            number=str(ticket.id),
                            contact=contact,
                            team=staff.team_name(self.config, ticket.team, ticket.lang),
                        )
                    ),
                    "waiting",
                )
                self._event(session, ticket, Actor.system(), "employer_told_waiting", ticket.status)
                done.append(ticket_id)
        if done:
            self.on_commit()
        return done

    async def close_quiet(self, older_than: timedelta) -> list[int]:
        """Close answered tickets without a reply for `older_than`."""
        cutoff, done = self.clock() - older_than, []
        async with self.database.transaction() as session:
            due = (
                update(Ticket)
                .where(Ticket.status == ANSWERED, Ticket.answered_at < cutoff, Ticket.deleted_at.is_(None))
                .values(
                    status=CLOSED,
                    closed_at=self.clock(),
                    close_reason="timeout",
                    updated_at=self.clock(),
                    version=Ticket.version + 1,
                )
                .execution_options(synchronize_session=False)
            )
            ids = [row[0] for row in (await session.execute(due.returning(Ticket.id))).all()]
            for ticket_id in ids:
                ticket = await _get_ticket(session, ticket_id)
                self._event(session, ticket, Actor.system(), "closed", ANSWERED, reason="timeout")
                lang = self.settings.teams[ticket.team].lang
                self._to_staff(session, ticket, t("st_autoclosed", lang, number=str(ticket.id)), "status")
                tidy.show_closed(session, self.config, ticket, self.clock())
                self._to_employer(
                    session,
                    ticket,
                    Reply(
                        t(
                            "ho_autoclosed_note",
                            ticket.lang,
                            number=str(ticket.id),
                            days=f"{self.settings.reopen_within_days:g}",
                        )
                    ),
                    "autoclosed",
                )
                done.append(ticket_id)
        if done:
            self.on_commit()
        return done

    def _zone(self):
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.settings.reminders.office_hours.timezone)

    async def counts(self) -> dict[str, int]:
        async with self.database.transaction() as session:
            rows = (await session.execute(select(Ticket.status, func.count()).group_by(Ticket.status))).all()
        return {status: count for status, count in rows}
