"""Where a chat is in a multi-step flow, kept in the database so that a restart loses nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, bindparam, delete, exists, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from bot.db.engine import Database
from bot.db.models import Chat, utcnow
from bot.tickets.models import CLOSED, ConversationState, Ticket


@dataclass(frozen=True)
class State:
    flow: str  # handover | ticket_add | ticket_reply | delete
    step: str
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ChatView:
    """What every message of a chat needs first, read in one statement (`ConversationStore.view`)."""

    language: str | None  # as the chat chose it; None: not chosen
    state: State | None  # where it is in a flow
    has_ticket: bool  # whether it has a ticket that is not closed
    district: str | None = None  # config.yml districts: id as stored; None: not chosen


# Built once (it runs on every message): the row of (SELECT 1) left-joined to the chat's state and
# to its row in chats (its language), so there is a row even when the chat has neither.
_VIEW = (
    select(
        exists()
        .where(
            Ticket.channel == bindparam("channel"),
            Ticket.chat_external_id == bindparam("chat_id"),
            # every state but closed is ACTIVE; "!=" keeps one compiled form (IN (...) is
            # expanded anew on every execution)
            Ticket.status != CLOSED,
        )
        .label("has_ticket"),
        ConversationState.flow,
        ConversationState.step,
        ConversationState.data,
        Chat.language,
        Chat.district,
    )
    .select_from(select(literal(1).label("one")).subquery())
    .outerjoin(
        ConversationState,
        and_(
            ConversationState.channel == bindparam("channel"),
            ConversationState.chat_external_id == bindparam("chat_id"),
        ),
    )
    .outerjoin(Chat, and_(Chat.channel == bindparam("channel"), Chat.external_id == bindparam("chat_id")))
)


class ConversationStore:
    """One state per chat: set replaces it, clear removes it."""

    def __init__(self, database: Database):
        self.database = database

    async def get(self, channel: str, chat_id: str) -> State | None:
        return (await self.get_with_ticket(channel, chat_id))[0]

    async def get_with_ticket(self, channel: str, chat_id: str) -> tuple[State | None, bool]:
        """The chat's state, and whether it has a ticket that is not closed."""
        view = await self.view(channel, chat_id)
        return view.state, view.has_ticket

    async def view(self, channel: str, chat_id: str) -> ChatView:
        """The chat's language, state and open ticket: what every message asks first.

        One statement, reading (no wait for SQLite's writer).
        """
        async with self.database.read() as session:
            row = (await session.execute(_VIEW, {"channel": channel, "chat_id": chat_id})).one()
        state = State(row.flow, row.step, dict(row.data or {})) if row.flow is not None else None
        return ChatView(row.language, state, bool(row.has_ticket), row.district)

    async def set(self, channel: str, chat_id: str, state: State) -> None:
        insert = (postgresql.insert if self.database.dialect == "postgresql" else sqlite.insert)(ConversationState)
        values = {"flow": state.flow, "step": state.step, "data": state.data, "updated_at": utcnow()}
        statement = insert.values(channel=channel, chat_external_id=chat_id, **values).on_conflict_do_update(
            index_elements=["channel", "chat_external_id"], set_=values
        )
        async with self.database.transaction() as session:
            await session.execute(statement)

    async def clear(self, channel: str, chat_id: str) -> None:
        async with self.database.transaction() as session:
            await session.execute(
                delete(ConversationState).where(
                    ConversationState.channel == channel, ConversationState.chat_external_id == chat_id
                )
            )
