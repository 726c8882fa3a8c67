"""The statistics page: bot/stats.py computes the figures, this module draws them as charts."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from bot.stats import Report, report
from handlers.web.charts import Series, hbars, rate_line, stacked_bars
from handlers.web.security import ACCOUNT
from handlers.web.services import SERVICES

COLOURS = {
    "answered": "#1b6e35",
    "handed": "#a64200",
    "clarified": "#1f57a0",
    "other": "#6b6b6b",
    "up": "#1b6e35",
    "down": "#b3261e",
}


def charts(result: Report, _) -> dict:
    labels = [b.label for b in result.buckets]
    other = [b.questions - b.answered - b.clarified for b in result.buckets]
    return {
        "volume": stacked_bars(
            _("Questions"),
            labels,
            [
                Series(_("Answered by the bot"), [b.answered for b in result.buckets], COLOURS["answered"]),
                Series(_("Clarified"), [b.clarified for b in result.buckets], COLOURS["clarified"]),
                Series(_("Other"), [max(o, 0) for o in other], COLOURS["other"]),
            ],
        ),
        "deflection": stacked_bars(
            _("Answered by the bot") + " / " + _("Handed over"),
            labels,
            [
                Series(_("Answered by the bot"), [b.answered for b in result.buckets], COLOURS["answered"]),
                Series(_("Handed over"), [b.handed_over for b in result.buckets], COLOURS["handed"]),
            ],
        ),
        "rates": rate_line(
            _("Deflection rate") + " / " + _("Clarification rate"),
            labels,
            [
                (_("Deflection rate"), [b.deflection for b in result.buckets], COLOURS["answered"]),
                (_("Clarification rate"), [b.clarification for b in result.buckets], COLOURS["clarified"]),
            ],
        ),
        "feedback": hbars(
            _("Feedback per topic"),
            [(k, [up, down]) for k, up, down in result.feedback[:15]],
            [(_("Helpful"), COLOURS["up"]), (_("Not helpful"), COLOURS["down"])],
        ),
        "ages": hbars(
            _("Open tickets by age"),
            [(label, [count]) for label, count in result.open_ages],
            [(_("Tickets"), COLOURS["handed"])],
        ),
    }


async def page(request: web.Request) -> web.Response:
    """The statistics page."""
    services = request.app[SERVICES]
    period = "week" if request.query.get("period") == "week" else "day"
    account = request[ACCOUNT]
    result = await report(services.database, services.config, period, teams=account.teams, editor=account.editor)
    context = await _context(request)
    return aiohttp_jinja2.render_template("stats.html", request, {"r": result, "charts": charts(result, context)})


async def _context(request: web.Request):
    from handlers.web.i18n import gettext, pick_language

    return gettext(pick_language(request.headers.get("Accept-Language", ""), request.query.get("lang", "")))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/stats", page, name="console.stats")
