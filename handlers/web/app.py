"""The web's routes on an aiohttp application: /chat, /console, /static, and / pointing to the chat.

`setup_web(app, services)` adds them to any application (the Telegram webhook server's, or the
standalone one in handlers/web/server.py). The console and the chat are sub-applications, each
with its own middlewares: the console's require a session on every route and check CSRF tokens.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import get_session

from handlers.web import chat, console, editors, files, live, stats
from handlers.web.errors import error_pages
from handlers.web.i18n import gettext, pick_language
from handlers.web.security import ACCOUNT, PASSIVE, csrf_token, guard, headers, install_sessions
from handlers.web.services import SERVICES, WebServices

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"
CONSOLE = web.AppKey("lotse_console_app", web.Application)  # the console sub-application (tests list its routes)
STATIC_VERSION = str(int(max(p.stat().st_mtime for p in STATIC.iterdir())))  # cache-busting query


def _age(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60:02d}"
    return f"{minutes // 1440} d {minutes % 1440 // 60} h"


def _hours(value: float) -> str:
    """A duration in hours as staff read it: minutes below an hour, hours below two days, else days."""
    if value < 1:
        return f"{value * 60:.0f} min"
    if value < 48:
        return f"{value:.1f} h"
    return f"{value / 24:.1f} d"


def _size(size: int) -> str:
    """A file's size as people read it: 980 B, 2.9 KB, 1.2 MB."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def _environment(app: web.Application, services: WebServices, processors) -> None:
    zone = ZoneInfo(services.config.tickets.reminders.office_hours.timezone)

    def local(moment: datetime | None, pattern: str = "%d.%m.%Y %H:%M") -> str:
        return moment.astimezone(zone).strftime(pattern) if moment else "–"

    filters: dict[str, Callable[..., str]] = {"local": local, "age": _age, "hours": _hours, "size": _size}
    env = aiohttp_jinja2.setup(
        app, loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, context_processors=processors, filters=filters
    )
    env.globals["static_version"] = STATIC_VERSION


async def _page_context(request: web.Request) -> dict:
    lang = pick_language(request.headers.get("Accept-Language", ""), request.query.get("lang", ""))
    return {"lang": lang, "_": gettext(lang), "request": request}


async def _console_context(request: web.Request) -> dict:
    session = await get_session(request)
    services = request.app[SERVICES]
    context = await _page_context(request)
    return context | {
        "csrf": csrf_token(session),
        "account": request.get(ACCOUNT),
        # a page's own fetches leave the messages for the page the coordinator goes to next
        "flashes": [] if request.match_info.route.name in PASSIVE else session.pop("flash", None) or [],
        "team_names": {key: team.name.get(context["lang"]) for key, team in services.config.tickets.teams.items()},
    }


def console_app(services: WebServices) -> web.Application:
    app = web.Application()
    app[SERVICES] = services
    install_sessions(app, services.config, services.session_key)
    app.middlewares.append(error_pages)  # outside the guard: its expired-form 403 gets the page too
    app.middlewares.append(guard(services.config, services.accounts, console.session_ended))
    _environment(app, services, [_console_context])
    console.add_routes(app)
    live.add_routes(app, services.feed)
    stats.add_routes(app)
    editors.add_routes(app)
    return app


def chat_app(services: WebServices) -> web.Application:
    app = web.Application(client_max_size=chat.MAX_BODY)
    app[SERVICES] = services
    _environment(app, services, [_page_context])
    chat.add_routes(app, services.config.web)
    files.add_chat_routes(app)
    return app


async def _to_chat(request: web.Request) -> web.Response:
    raise web.HTTPFound("/chat/")


async def _to_console(request: web.Request) -> web.Response:
    raise web.HTTPFound("/console/")


def setup_web(app: web.Application, services: WebServices) -> None:
    """Add the web chat, the console and their static files to `app` (before it starts).

    The security headers go on `app` itself, so every response of the server has them: pages,
    static files, redirects, errors, the webhook and /healthz.
    """
    if headers not in app.middlewares:
        app.middlewares.append(headers)
    app[CONSOLE] = console_app(services)
    app.add_subapp("/console", app[CONSOLE])
    app.add_subapp("/chat", chat_app(services))
    app.router.add_static("/static", STATIC, name="static", append_version=False)
    app.router.add_get("/", _to_chat, name="web.root")
    app.router.add_get("/console", _to_console)
    app.router.add_get("/chat", _to_chat)
