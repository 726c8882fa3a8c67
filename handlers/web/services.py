"""What the web handlers stand on, built once per process and kept on the aiohttp application."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from bot.accounts.service import Accounts
from bot.accounts.web_chat import WebChatStore
from bot.app import Core
from bot.config import Config
from bot.db.engine import Database
from bot.dialogue import Dialogue
from bot.tickets.service import TicketService
from handlers.web.security import LoginThrottle
from handlers.web.tickets_view import TicketsView


@dataclass
class WebServices:
    """The console's and the web chat's dependencies (one engine, one ticket service, ...)."""

    config: Config
    database: Database
    core: Core
    conversation: Dialogue
    tickets: TicketService
    view: TicketsView
    accounts: Accounts
    chat: WebChatStore
    session_key: bytes
    throttle: LoginThrottle


SERVICES = web.AppKey("lotse_web_services", WebServices)


def build_services(
    config: Config,
    database: Database,
    core: Core,
    session_key: bytes,
    tickets: TicketService | None = None,
    on_commit: Callable[[], None] | None = None,
) -> WebServices:
    """Wire the web's services on the process's database and core.

    Args:
        tickets: the process's ticket service, if it has one (the Telegram app's); else one is made.
        on_commit: wakes the outbox worker after a change that enqueued messages.
    """
    tickets = tickets or TicketService(database, config, on_commit=on_commit)
    conversation = core.dialogue  # with the runtime's hand-over attached when tickets are enabled
    accounts = Accounts(
        database,
        config.tickets.teams,
        max_failures=config.web.login_max_failures,
        lock_minutes=config.web.login_lock_minutes,
    )
    return WebServices(
        config,
        database,
        core,
        conversation,
        tickets,
        TicketsView(tickets, database, config),
        accounts,
        WebChatStore(database),
        session_key,
        LoginThrottle(),
    )
