"""The product's database: models, the engine's life, migrations and the repositories on top."""

from bot.db.engine import Database, DatabaseError, default_url, redacted
from bot.db.migrate import open_database, prepare
from bot.db.models import Base, Chat, DecisionLog, Feedback, ProcessedUpdate
from bot.db.store import DbChatStore, Inbox

__all__ = [
    "Base",
    "Chat",
    "Database",
    "DatabaseError",
    "DbChatStore",
    "DecisionLog",
    "Feedback",
    "Inbox",
    "ProcessedUpdate",
    "default_url",
    "open_database",
    "prepare",
    "redacted",
]
