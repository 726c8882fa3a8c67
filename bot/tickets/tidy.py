"""A ticket's place in its staff group follows its state: closed tickets look closed, reopened ones open.

On close, a forum topic is renamed to "#N ✓" and closed, and the card (in a plain group, or the first
message of the topic) is edited to say "closed", without its buttons. On reopen, the topic is reopened
and gets its name back, and the card its buttons. Everything goes through the outbox, behind the
ticket's other staff messages: the topic and the card are resolved when the row is sent
(thread "ticket", message_id "card"), so a topic still being created is found too.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from bot.messages import Reply
from bot.texts import t
from bot.tickets import staff
from bot.tickets.models import Ticket
from bot.tickets.outbox import enqueue, reply_payload

TOPIC = "ticket"  # the ticket's own topic, resolved when sent
CARD = "card"  # the ticket's card, resolved when sent


def closed_card(config: Config, ticket: Ticket) -> Reply:
    """The card as it stays in the group once the ticket is closed: no buttons, "closed" at the end."""
    team = config.tickets.teams[ticket.team]
    card = staff.card(config, ticket, team)
    return Reply(card.text, title=card.title, footer=t("st_card_closed", team.lang))


def show_closed(session: AsyncSession, config: Config, ticket: Ticket, now: datetime) -> None:
    """Rename the topic to "#N ✓" and close it; the card loses its buttons."""
    _show(session, config, ticket, now, closed=True)


def show_reopened(session: AsyncSession, config: Config, ticket: Ticket, now: datetime) -> None:
    """Reopen the topic under its name; the card gets its buttons back."""
    _show(session, config, ticket, now, closed=False)


def _show(session: AsyncSession, config: Config, ticket: Ticket, now: datetime, closed: bool) -> None:
    if ticket.staff_chat_id is None:
        return
    team = config.tickets.teams[ticket.team]
    group, purpose = ticket.staff_chat_id, "closed_view" if closed else "reopened_view"
    if team.forum:
        name = t("st_topic_done", team.lang, number=str(ticket.id)) if closed else staff.topic_name(ticket, team)
        rename = {"name": name, "thread": TOPIC}
        enqueue(session, "telegram", group, rename, kind="rename", ticket_id=ticket.id, purpose=purpose, now=now)
        state = {"open": not closed, "thread": TOPIC}
        enqueue(session, "telegram", group, state, kind="topic_state", ticket_id=ticket.id, purpose=purpose, now=now)
    card = closed_card(config, ticket) if closed else staff.card(config, ticket, team)
    payload = reply_payload(card, team.lang, message_id=CARD)
    enqueue(session, "telegram", group, payload, kind="edit", ticket_id=ticket.id, purpose=purpose, now=now)
