"""Where a chat is in a multi-step flow, kept in the database so that a restart loses nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import BindParameter, and_, bindparam, delete, exists, select, union
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


# The views of one channel's chats whose messages arrive at the same time, in one statement (see
# ConversationStore.view). A chat may have a row in chats, a flow state, open tickets, any of
# them or none: `known` collects the chats asked for that have any, each once, and the outer
# query fetches what they have. Built once with an expanding parameter, so it is compiled once.
# "channel = ? AND id IN (...)" is an index search on both databases; SQLite would scan the whole
# table for a row-value "(channel, id) IN (...)".
_CHANNEL: BindParameter[str] = bindparam("channel")
_CHAT_IDS: BindParameter[list[str]] = bindparam("chat_ids", expanding=True)
_known = union(
    select(Chat.channel, Chat.external_id.label("chat_id")).where(
        Chat.channel == _CHANNEL, Chat.external_id.in_(_CHAT_IDS)
    ),
    select(ConversationState.channel, ConversationState.chat_external_id).where(
        ConversationState.channel == _CHANNEL, ConversationState.chat_external_id.in_(_CHAT_IDS)
    ),
    select(Ticket.channel, Ticket.chat_external_id).where(
        Ticket.channel == _CHANNEL, Ticket.chat_external_id.in_(_CHAT_IDS), Ticket.status != CLOSED
    ),
).subquery("known")
_VIEWS = (
    select(
        _known.c.channel,
        _known.c.chat_id,
        Chat.language,
        Chat.district,
        ConversationState.flow,
        ConversationState.step,
        ConversationState.data,
        exists()
        .where(
            Ticket.channel == _known.c.channel,
            Ticket.chat_external_id == _known.c.chat_id,
            Ticket.status != CLOSED,  # every state but closed is active
        )
        .label("has_ticket"),
    )
    .select_from(_known)
    .outerjoin(Chat, and_(Chat.channel == _known.c.channel, Chat.external_id == _known.c.chat_id))
    .outerjoin(
        ConversationState,
        and_(
            ConversationState.channel == _known.c.channel,
            ConversationState.chat_external_id == _known.c.chat_id,
        ),
    )
)
MAX_VIEWS = 100  # chats per read: 3 parameters each, well within both databases' limits
_NEVER_SEEN = ChatView(None, None, False)


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
        """The views of the chats `keys` names, in their order; a chat never seen gets the empty view."""
        by_channel: dict[str, dict[str, None]] = {}
        for channel, chat_id in keys:
            by_channel.setdefault(channel, {})[chat_id] = None
        found = {}
        async with self.database.read() as session:
            for channel, chat_ids in by_channel.items():  # mostly one: messages come in on one channel at a time
                for row in await session.execute(_VIEWS, {"channel": channel, "chat_ids": list(chat_ids)}):
                    found[row.channel, row.chat_id] = ChatView(
                        row.language,
                        State(row.flow, row.step, dict(row.data or {})) if row.flow is not None else None,
                        bool(row.has_ticket),
                        row.district,
                    )
        return [found.get(key, _NEVER_SEEN) for key in keys]

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
