"""Where a chat is in a multi-step flow, kept in the database so that a restart loses nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from bot.db.engine import Database
from bot.db.models import utcnow
from bot.tickets.models import ConversationState


@dataclass(frozen=True)
class State:
    flow: str                      # handover | ticket_add | ticket_reply | delete
    step: str
    data: dict = field(default_factory=dict)


class ConversationStore:
    """One state per chat: set replaces it, clear removes it."""

    def __init__(self, database: Database):
        self.database = database

    async def get(self, channel: str, chat_id: str) -> State | None:
        async with self.database.transaction() as session:
            row = (await session.execute(select(ConversationState).where(
                ConversationState.channel == channel, ConversationState.chat_external_id == chat_id))).scalar_one_or_none()
        return State(row.flow, row.step, dict(row.data or {})) if row else None

    async def set(self, channel: str, chat_id: str, state: State) -> None:
        insert = (postgresql.insert if self.database.dialect == "postgresql" else sqlite.insert)(ConversationState)
        values = {"flow": state.flow, "step": state.step, "data": state.data, "updated_at": utcnow()}
        statement = insert.values(channel=channel, chat_external_id=chat_id, **values).on_conflict_do_update(
            index_elements=["channel", "chat_external_id"], set_=values)
        async with self.database.transaction() as session:
            await session.execute(statement)

    async def clear(self, channel: str, chat_id: str) -> None:
        async with self.database.transaction() as session:
            await session.execute(delete(ConversationState).where(
                ConversationState.channel == channel, ConversationState.chat_external_id == chat_id))
