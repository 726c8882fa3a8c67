"""FAQ suggestions: a coordinator proposes an answered ticket for the FAQ; editors export them as YAML.

The export is a snippet in faq/'s format (faq/README.md) for the editors to paste and finish:
a new topic with the question as its first example, or, for an existing topic, the question as
a new example and the coordinator's answer as a comment to compare with the current one.
Nothing is written to faq/ from here: the FAQ stays under the editors' review and git.
"""

from __future__ import annotations

import re
from datetime import date

import aiohttp_jinja2
import yaml
from aiohttp import web
from aiohttp_session import get_session

from bot.accounts.models import FaqSuggestion
from bot.accounts.suggestions import STATUSES, Suggestions
from bot.db.models import utcnow
from bot.knowledge.law_changes import LAW_CHANGES_FILE, StaleTopic, load_law_changes, stale_topics
from bot.stats import unanswered
from bot.text_input import clean_text, parse_id
from handlers.web.security import ACCOUNT, flash
from handlers.web.services import SERVICES
from handlers.web.tickets_view import TicketNotFound

TOPIC_ID = re.compile(r"^[a-z][a-z0-9_]*\.[a-z0-9_]+$")
UNANSWERED_DAYS = 14


class _Literal(yaml.SafeDumper):
    """Multi-line strings as | blocks, as editors write them by hand."""


_Literal.add_representer(
    str,
    lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None),
)


def snippet(suggestion: FaqSuggestion, today: date | None = None) -> str:
    """One suggestion as YAML in faq/'s format, with what is left to do in comments."""
    lang = suggestion.lang
    answer = suggestion.answer.strip() + "\n"
    head = (
        f"# Suggestion #{suggestion.id} by {suggestion.created_by}"
        + (f" from ticket #{suggestion.ticket_id}" if suggestion.ticket_id else "")
        + "\n"
    )
    if suggestion.topic_id:
        body = yaml.dump(
            {"examples": {lang: [suggestion.question.strip()]}},
            Dumper=_Literal,
            allow_unicode=True,
            sort_keys=False,
            width=100,
        )
        comment = "\n".join(f"#   {line}" for line in answer.splitlines())
        return (
            f"{head}# Add to topic {suggestion.topic_id}: the question as an example; compare the answer.\n"
            f"{body}# Coordinator's answer ({lang}):\n{comment}\n"
        )
    topic = {
        "id": suggestion.new_topic_id or "area.new_topic",
        "title": {"de": "TODO", "en": "TODO"},
        "answer": {key: answer if key == lang else "TODO\n" for key in ("de", "en")},
        "individual_case": "none",
        "sources": [{"title": "TODO", "url": "https://"}],
        "reviewed": today or date.today(),
        "related": [],
        "examples": {key: [suggestion.question.strip()] if key == lang else [] for key in ("de", "en")},
    }
    return (
        head
        + "# New topic: finish the TODOs, add examples (de at least 15, en at least 8), run `faq check`.\n"
        + yaml.dump([topic], Dumper=_Literal, allow_unicode=True, sort_keys=False, width=100)
    )


async def propose(request: web.Request) -> web.Response:
    """Store an answered ticket's question and answer as a suggestion for the editors."""
    services, account, form = request.app[SERVICES], request[ACCOUNT], await request.post()
    ticket_id = parse_id(request.match_info["ticket_id"])  # out of the database's range: no such ticket
    if ticket_id is None:
        raise web.HTTPNotFound()
    try:
        detail = await services.view.detail(account, ticket_id)
    except TicketNotFound as exc:
        raise web.HTTPNotFound(text="No such ticket in your teams' queues.") from exc
    session = await get_session(request)
    question, answer = clean_text(form.get("question", "")).strip(), clean_text(form.get("answer", "")).strip()
    topic = clean_text(form.get("topic_id", "")).strip()
    new_topic = clean_text(form.get("new_topic_id", "")).strip().lower()
    if topic and topic not in services.core.knowledge.current.faq.topics:
        topic = ""
    if not question or not answer or len(question) > 3000 or len(answer) > 4000:
        flash(session, "question and answer: 1 to 3000 / 4000 characters", "error")
    elif not topic and not TOPIC_ID.match(new_topic):
        flash(session, "choose an existing topic or give a new id like area.topic_name", "error")
    else:
        await Suggestions(services.database).propose(
            ticket_id=detail.ticket.id,
            lang=detail.ticket.lang,
            question=question,
            answer=answer,
            topic_id=topic or None,
            new_topic_id=None if topic else new_topic,
            created_by=account.display_name,
        )
        flash(session, "done:propose", "ok")
    raise web.HTTPSeeOther(f"/console/tickets/{detail.ticket.id}")


def _editor(request: web.Request) -> None:
    if not request[ACCOUNT].editor:
        raise web.HTTPForbidden(text="Only editors see the FAQ suggestions.")


def stale_law(services, today: date | None = None) -> list[StaleTopic]:
    """Topics whose legal basis changed after their review, read afresh so that a change dated
    in the future shows up on its day without a reload (faq/_law-changes.yml)."""
    knowledge = services.core.knowledge
    changes, _ = load_law_changes(knowledge.directory / LAW_CHANGES_FILE)  # broken file: `faq check` says so
    return stale_topics(knowledge.current.faq.topics.values(), changes, today or date.today())


async def suggestions(request: web.Request) -> web.Response:
    """The editors' page: suggestions with their YAML, answers the law may have overtaken, unanswered questions."""
    _editor(request)
    services, status = request.app[SERVICES], request.query.get("status", "new")
    rows = await Suggestions(services.database).listed(status)
    return aiohttp_jinja2.render_template(
        "suggestions.html",
        request,
        {
            "rows": [(row, snippet(row)) for row in rows],
            "status": status,
            "statuses": STATUSES,
            "stale": stale_law(services),
            "todo": await unanswered(services.database, services.config, UNANSWERED_DAYS),
            "todo_days": UNANSWERED_DAYS,
        },
    )


async def export(request: web.Request) -> web.Response:
    """All new suggestions as one YAML file to download."""
    _editor(request)
    rows = await Suggestions(request.app[SERVICES].database).listed(request.query.get("status", "new"))
    text = (
        "# Lotse FAQ suggestions, exported "
        + utcnow().strftime("%Y-%m-%d %H:%M UTC")
        + "\n# Paste into the topics: list of the right faq/*.yml file, finish, then run: python -m bot faq check\n\n"
    )
    text += "\n".join(snippet(row) for row in reversed(rows))
    return web.Response(
        text=text,
        content_type="text/plain",
        charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="faq-suggestions.yml"'},
    )


async def set_status(request: web.Request) -> web.Response:
    """Mark a suggestion done or dismissed."""
    _editor(request)
    form, suggestion_id = await request.post(), parse_id(request.match_info["suggestion_id"])
    status = str(form.get("status", ""))
    if suggestion_id is None or status not in STATUSES:
        raise web.HTTPBadRequest(text="unknown suggestion or status")
    await Suggestions(request.app[SERVICES].database).mark(suggestion_id, status)
    raise web.HTTPSeeOther("/console/suggestions")


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/tickets/{ticket_id}/propose", propose, name="console.propose")
    r.add_get("/suggestions", suggestions, name="console.suggestions")
    r.add_get("/suggestions.yml", export, name="console.suggestions_export")
    r.add_post("/suggestions/{suggestion_id}/status", set_status, name="console.suggestion_status")
