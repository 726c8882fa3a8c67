"""Where a chat is in a multi-step flow, kept in the database so that a restart loses nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import BindParameter, bindparam, delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from bot.db.batch import Batched
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
    """What every message of a chat needs first, read in one go (`ConversationStore.view`)."""

    language: str | None  # as the chat chose it; None: not chosen
    state: State | None  # where it is in a flow
    has_ticket: bool  # whether it has a ticket that is not closed
    district: str | None = None  # config.yml districts: id as stored; None: not chosen


# The chats whose view is read in one go: concurrent messages of many chats share one read (see
# ConversationStore.view). Built once with an expanding parameter, so each is compiled once.
_KEYS: BindParameter[list[tuple[str, str]]] = bindparam("keys", expanding=True)
_CHATS = select(Chat.channel, Chat.external_id, Chat.language, Chat.district).where(
    tuple_(Chat.channel, Chat.external_id).in_(_KEYS)
)
_STATES = select(
    ConversationState.channel,
    ConversationState.chat_external_id,
    ConversationState.flow,
    ConversationState.step,
    ConversationState.data,
).where(tuple_(ConversationState.channel, ConversationState.chat_external_id).in_(_KEYS))
_WITH_TICKET = (
    select(Ticket.channel, Ticket.chat_external_id)
    # every state but closed is active
    .where(tuple_(Ticket.channel, Ticket.chat_external_id).in_(_KEYS), Ticket.status != CLOSED)
    .distinct()
)
MAX_VIEWS = 100  # chats per read: well within both databases' limits on parameters


class ConversationStore:
    """One state per chat: set replaces it, clear removes it."""

    def __init__(self, database: Database):
        self.database = database
        self._views = Batched(self._read_views, max_batch=MAX_VIEWS)

    async def get(self, channel: str, chat_id: str) -> State | None:
        return (await self.get_with_ticket(channel, chat_id))[0]

    async def get_with_ticket(self, channel: str, chat_id: str) -> tuple[State | None, bool]:
        """The chat's state, and whether it has a ticket that is not closed."""
        view = await self.view(channel, chat_id)
        return view.state, view.has_ticket

    async def view(self, channel: str, chat_id: str) -> ChatView:
        """The chat's language, state and open ticket: what every message asks first.

        Every message of every chat reads this, so the chats asking at the same time are read
        together, in one transaction: at 50 messages in flight that is one read for many instead of
        a transaction each. The read starts after this call, so it sees all the chat's earlier
        messages have written; it does not wait for SQLite's writer.
        """
        return await self._views((channel, chat_id))

    async def _read_views(self, keys: Sequence[tuple[str, str]]) -> list[ChatView]:
        """The views of the chats `keys` names, in their order (one read, three indexed lookups)."""
        params = {"keys": list(dict.fromkeys(keys))}
        async with self.database.read() as session:
            chats = {(row.channel, row.external_id): row for row in await session.execute(_CHATS, params)}
            states = {
                (row.channel, row.chat_external_id): State(row.flow, row.step, dict(row.data or {}))
                for row in await session.execute(_STATES, params)
            }
            with_ticket = {tuple(row) for row in await session.execute(_WITH_TICKET, params)}
        views = []
        for key in keys:
            chat = chats.get(key)
            views.append(
                ChatView(
                    chat.language if chat else None,
                    states.get(key),
                    key in with_ticket,
                    chat.district if chat else None,
                )
            )
        return views

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
