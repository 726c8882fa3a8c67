"""The console's 403 and 404 as pages a coordinator can find their way back from.

A browser that opens a ticket it may not see, a link that went stale, or a form that expired gets
the console's page with what happened and a link back to the queue, in the console's language, with
the same status. Requests that do not ask for HTML (the live page's fetches, event streams, scripts)
keep the plain-text answer: console.js reads the status, not the body.
"""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from handlers.web.i18n import gettext, pick_language

TITLES = {403: "Not allowed", 404: "Not found"}


@web.middleware
async def error_pages(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except (web.HTTPForbidden, web.HTTPNotFound) as error:
        if "text/html" not in request.headers.get("Accept", ""):
            raise
        lang = pick_language(request.headers.get("Accept-Language", ""), request.query.get("lang", ""))
        _ = gettext(lang)
        said = error.text or ""
        message = _(said) if said and not said.startswith(f"{error.status}: ") else _("This page does not exist.")
        # A refusal before the handler (the guard's expired form) comes before the page's context is made.
        page = {"lang": lang, "_": _, "request": request, "flashes": []}
        page |= request.get(aiohttp_jinja2.REQUEST_CONTEXT_KEY, {})
        return aiohttp_jinja2.render_template(
            "error.html", request, page | {"title": _(TITLES[error.status]), "message": message}, status=error.status
        )
