"""What the staff groups and the employer are told about a ticket: plain functions that build Replies.

The service puts them into the outbox; the channel renders them. Staff texts are in the team's
language (tickets.teams.<key>.lang), employer texts in the chat's.
"""

from __future__ import annotations

from bot.config import Config, Team, route_of_team
from bot.messages import Button, Reply
from bot.texts import t
from bot.tickets.models import Ticket

MAX_QUOTE = 1500  # a question or message quoted on a card; Telegram allows 4096 in all


def clip(text: str, limit: int = MAX_QUOTE) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def team_name(config: Config, team: str, lang: str) -> str:
    return config.tickets.teams[team].name.get(lang)


def other_team(config: Config, team: str) -> str:
    """Where a hand-over goes: the other of authority and coordinator of the ticket's district
    (or the district's first other team)."""
    district = config.district_of_team(team)
    preferred = {"authority": "coordinator", "coordinator": "authority"}.get(route_of_team(team), "")
    if config.team_key(district, preferred) in config.tickets.teams:
        return config.team_key(district, preferred)
    return next(key for key in config.teams_in_district(district) if key != team)


def staff_buttons(config: Config, ticket: Ticket, lang: str) -> tuple[tuple[Button, ...], ...]:
    other = team_name(config, other_team(config, ticket.team), lang)
    return (
        (Button(t("st_claim", lang), f"st:{ticket.id}:claim"),),
        (Button(t("st_handover", lang, team=other), f"st:{ticket.id}:handover"),),
        (Button(t("st_close", lang), f"st:{ticket.id}:close"),),
    )


def card(config: Config, ticket: Ticket, team: Team, note: str = "", from_team: str = "") -> Reply:
    """The ticket as its team sees it: question, the bot's view, recent conversation, employer, buttons."""
    lang = team.lang
    c = ticket.classification or {}
    lines = [t("st_question", lang, language=ticket.lang), clip(ticket.question), ""]
    if c:
        lines.append(
            t(
                "st_bot",
                lang,
                route=str(c.get("route", "-")),
                confidence=f"{float(c.get('confidence', 0)):.2f}",
                reason=str(c.get("reason", "-")),
            )
        )
    if ticket.history:
        lines += ["", t("st_recent", lang)]
        lines += [
            f"• {clip(h.get('question', ''), 200)} → {h.get('route', '')}{' ' + h['faq_id'] if h.get('faq_id') else ''}"
            for h in ticket.history
        ]
    contact = {"phone": ticket.contact_value, "email": ticket.contact_value}.get(ticket.contact_method) or t(
        "st_contact_chat", lang
    )
    lines += ["", t("st_employer", lang, company=ticket.company, contact=contact)]
    if note:
        lines += ["", t("st_note", lang, team=from_team, note=clip(note, 1000))]
    where = t("st_where_topic" if team.forum else "st_where_card", lang)
    footer = t("st_how", lang, where=where, team=team.name.get(ticket.lang))
    return Reply(
        "\n".join(lines),
        title=t("st_title", lang, number=str(ticket.id), team=team.name.get(lang)),
        footer=footer,
        buttons=staff_buttons(config, ticket, lang),
    )


def topic_name(ticket: Ticket, team: Team) -> str:
    """A forum topic's name: 1-128 characters."""
    return t("st_topic", team.lang, number=str(ticket.id), company=ticket.company)[:128]


def employer_answer(config: Config, ticket: Ticket, text: str) -> Reply:
    """A team's answer as the employer sees it: signed with the team's name, with Reply and Solved."""
    lang, name = ticket.lang, team_name(config, ticket.team, ticket.lang)
    return Reply(
        f"{text}\n\n— {name}",
        title=t("ho_answer_title", lang, team=name, number=str(ticket.id)),
        footer=t("ho_answer_footer", lang),
        buttons=(
            (
                Button(t("ho_reply", lang), f"tk:{ticket.id}:reply"),
                Button(t("ho_solved_button", lang), f"tk:{ticket.id}:solved"),
            ),
        ),
    )
