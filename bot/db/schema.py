"""The table registry: every model module, imported in one place, so that `metadata` holds all tables.

Models live beside their code (bot/db/models.py, bot/tickets/models.py, bot/accounts/models.py,
bot/window/models.py);
Alembic's autogenerate (migrations/env.py) and the tests' drop_all use this complete `metadata`.
A new model module is added here.
"""

from bot.accounts import models as accounts_models
from bot.db import models as core_models
from bot.tickets import models as tickets_models
from bot.window import models as whatsapp_models  # the WhatsApp window and deliveries (docs/whatsapp.md)

metadata = core_models.Base.metadata

__all__ = ["accounts_models", "core_models", "metadata", "tickets_models", "whatsapp_models"]
