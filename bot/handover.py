"""The employer's side of the hand-over: confirm, company, how to reach them, consent, ticket.

The dialogue delegates here: `offer` starts the flow, `intercept` sees every message first and
takes those that belong to a flow (a step's answer, its buttons, /cancel, /tickets, /delete, a
message while a ticket is open). Where the chat is in a flow is kept in the database
(ConversationStore), so a restart in the middle loses nothing. Cancellable at every step.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.config import Config
from bot.decision import Decision
from bot.messages import AskAnew, Button, IncomingMessage, Kind, Reply
from bot.text_input import clean_payload, clean_text, parse_id
from bot.texts import t
from bot.tickets.conversation import ChatView, ConversationStore, State
from bot.tickets.service import Contact, InvalidTransition, TicketNotFound, TicketService

if TYPE_CHECKING:
    from bot.window.consent import NotifyConsent

log = logging.getLogger(__name__)

PHONE = re.compile(r"^\+?[0-9][0-9 ()/.-]{5,24}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
MAX_QUESTION = 3000


def _command(text: str) -> str:
    return text.split()[0][1:].split("@")[0].lower() if text.strip().startswith("/") else ""


def classification_of(decision: Decision | None) -> dict:
    if decision is None:
        return {"route": "asked", "confidence": 1.0, "reason": "the employer asked for a person"}
    return {
        "route": decision.route.value,
        "faq_id": decision.faq_id,
        "confidence": round(float(decision.confidence), 4),
        "reason": decision.reason,
        "candidates": [{"faq_id": c.label, "confidence": round(c.confidence, 4)} for c in decision.candidates],
    }


class Handover:
    """Runs the hand-over flow and the employer's ticket commands on top of TicketService."""

    def __init__(self, config: Config, tickets: TicketService, states: ConversationStore):
        self.config = config
        self.tickets = tickets
        self.states = states
        self.notify: NotifyConsent | None = None  # WhatsApp: may we notify? (set by the channel, bot/window)

    def _team(self, team: str, lang: str) -> str:
        return self.config.tickets.teams[team].name.get(lang)

    def _cancel_row(self, lang: str) -> tuple[Button, ...]:
        return (Button(t("ho_cancel", lang), "ho:cancel"),)

    async def _set(self, message: IncomingMessage, flow: str, step: str, data: dict) -> None:
        await self.states.set(message.channel, message.chat_id, State(flow, step, data))

    # -- starting ------------------------------------------------------------------------------------------------

    async def offer(
        self,
        message: IncomingMessage,
        team: str,
        lang: str,
        question: str = "",
        decision: Decision | None = None,
        district: str | None = None,
    ) -> list[Reply]:
        """Offer to pass the question to `team` ("authority", "coordinator") of the chat's `district`;
        without a question, the chat's latest one (or ask for it)."""
        route, team = team, self.config.team_key(district, team)
        question = clean_text(question).strip() or (
            await self.tickets.last_question(message.channel, message.chat_id) or ""
        )
        # The flow's id keys the ticket it opens: a consent repeated after a crash (the ticket was
        # committed, the flow not yet cleared) finds that ticket instead of opening a second one.
        data = {
            "team": team,
            "lang": lang,
            "question": question[:MAX_QUESTION],
            "classification": classification_of(decision),
            "flow": uuid.uuid4().hex,
        }
        intro = t("handover_authority" if route == "authority" else "handover_coordinator", lang)
        contact = self.config.district(district).contacts.placeholders(lang).get(route, "")
        offer = t("ho_offer", lang, team=self._team(team, lang), contact=contact)
        if not question:
            await self._set(message, "handover", "question", data)
            return [Reply(f"{intro}\n\n{offer}"), Reply(t("ho_ask_question", lang), buttons=(self._cancel_row(lang),))]
        await self._set(message, "handover", "confirm", data)
        text = f"{intro}\n\n{t('ho_question_is', lang, question=question[:300])}\n\n{offer}"
        return [
            Reply(
                text,
                buttons=((Button(t("ho_yes", lang), "ho:yes"), Button(t("ho_no", lang), "ho:no")),),
                meta={"handover": team},
            )
        ]

    # -- every message passes here first -------------------------------------------------------------------------

    async def view(self, message: IncomingMessage) -> ChatView:
        """The chat's language, flow state and open ticket, in one read (the dialogue asks first)."""
        return await self.states.view(message.channel, message.chat_id)

    async def intercept(
        self, message: IncomingMessage, lang: str, view: ChatView | None = None
    ) -> list[Reply] | AskAnew | None:
        """Replies if the message belongs to a flow or a ticket command; None lets the dialogue answer;
        AskAnew hands a pending text back to the dialogue as a new question.

        `view`: the chat as `view` read it for this message; read here if not given.
        """
        message = replace(message, text=clean_text(message.text), payload=clean_payload(message.payload))  # input edge
        command = _command(message.text) if message.kind is Kind.COMMAND else ""
        if command == "cancel":
            return await self._cancel(message, lang)
        if command == "tickets":
            return [await self.list_tickets(message, lang)]
        if command == "delete":
            return await self._delete_ask(message, lang)
        if message.kind is Kind.BUTTON and message.payload.startswith("tk:"):
            return await self._ticket_button(message, lang)
        if view is None:
            view = await self.view(message)
        state, has_ticket = view.state, view.has_ticket
        if message.kind is Kind.BUTTON and message.payload.startswith(("ho:", "del:")):
            if state is None:
                return [Reply(t("unknown_button", lang))]
            if message.payload == "ho:cancel":
                return await self._cancel(message, lang)
            return await self._step(message, state, lang)
        if message.kind is not Kind.TEXT:
            return None
        if state is not None:
            return await self._step(message, state, lang)
        # Most chats have no open ticket: asked above in the same statement, loaded only if there is one.
        active = await self.tickets.active_for_chat(message.channel, message.chat_id) if has_ticket else None
        if active is not None:
            return await self._add_or_new(message, active.id, active.team, lang)
        return None

    async def _cancel(self, message: IncomingMessage, lang: str) -> list[Reply]:
        state = await self.states.get(message.channel, message.chat_id)
        await self.states.clear(message.channel, message.chat_id)
        if state is None:
            return [Reply(t("ho_nothing_to_cancel", lang))]
        return [Reply(t("delete_kept" if state.flow == "delete" else "ho_cancelled", lang))]

    # -- the steps -----------------------------------------------------------------------------------------------

    async def _step(self, message: IncomingMessage, state: State, lang: str) -> list[Reply] | AskAnew:
        handler = {
            ("handover", "question"): self._got_question,
            ("handover", "confirm"): self._confirmed,
            ("handover", "company"): self._got_company,
            ("handover", "contact"): self._got_contact,
            ("handover", "phone"): self._got_phone,
            ("handover", "email"): self._got_email,
            ("handover", "consent"): self._consented,
            ("handover", "notify"): self._notify_answered,
            ("ticket_add", "choose"): self._added_or_new,
            ("ticket_reply", "reply"): self._got_reply,
            ("delete", "confirm"): self._delete_confirmed,
        }.get((state.flow, state.step))
        if handler is None:  # a state from an older version: start over
            await self.states.clear(message.channel, message.chat_id)
            return [Reply(t("ho_cancelled", lang))]
        return await handler(message, state.data, state.data.get("lang", lang))

    def _use_buttons(self, lang: str, reply: Reply) -> list[Reply]:
        return [Reply(t("ho_use_buttons", lang)), reply]

    async def _got_question(self, message: IncomingMessage, data: dict, lang: str) -> list[Reply]:
        if message.kind is not Kind.TEXT or not message.text.strip():
            return [Reply(t("ho_ask_question", lang), buttons=(self._cancel_row(lang),))]
        data = data | {"question": message.text.strip()[:MAX_QUESTION]}
        return await self._ask_company(message, data, lang)

    async def _confirmed(self, message: IncomingMessage, data: dict, lang: str) -> list[Reply]:
        if message.payload == "ho:no":
            await self.states.clear(message.channel, message.chat_id)
            return [Reply(t("ho_cancelled", lang))]
        if message.payload != "ho:yes":
            return self._use_buttons(
                lang,
                Reply(
                    t("ho_offer", lang, team=self._team(data["team"], lang), contact=""),
                    buttons=((Button(t("ho_yes", lang), "ho:yes"), Button(t("ho_no", lang), "ho:no")),),
                ),
            )
        return await self._ask_company(message, data, lang)

    async def _ask_company(self, message: IncomingMessage, data: dict, lang: str) -> list[Reply]:
        await self._set(message, "handover", "company", data)
        return [Reply(t("ho_ask_company", lang), buttons=(self._cancel_row(lang),))]

    async def _got_company(self, message: IncomingMessage, data: dict, lang: str) -> list[Reply]:
        company = " ".join(message.text.split()) if message.kind is Kind.TEXT else ""
        if not 2 <= len(company) <= 200:
            return [Reply(t("ho_bad_company", lang), buttons=(self._cancel_row(lang),))]
        await self._set(message, "handover", "contact", data | {"company": company})
        return [self._contact_question(data["team"], lang)]

    def _contact_question(self, team: str, lang: str) -> Reply:
        return Reply(
            t("ho_ask_contact", lang, team=self._team(team, lang)),
            buttons=(
                (Button(t("ho_contact_chat", lang), "ho:contact:chat"),),
                (
                    Button(t("ho_contact_phone", lang), "ho:contact:phone"),
                    Button(t("ho_contact_email", lang), "ho:contact:email"),
                ),
                self._cancel_row(lang),
            ),
        )

    async def _got_contact(self, message: IncomingMessage, data: dict, lang: str) -> list[Reply]:
        method = message.payload.removeprefix("ho:contact:") if message.kind is Kind.BUTTON else ""
        if method == "chat":
            return await self._ask_consent(message, data | {"contact": "chat", "contact_value": None}, lang)
        if method in ("phone", "email"):
            await self._set(message, "handover", method, data)
            return [Reply(t(f"ho_ask_{method}", lang), buttons=(self._cancel_row(lang),))]
        return self._use_buttons(lang, self._contact_question(data["team"], lang))

    async def _got_phone(self, message: IncomingMessage, data: dict, lang: str) -> list[Reply]:
        phone = message.text.strip()
        if message.kind is not Kind.TEXT or not PHONE.match(phone):
            return [Reply(t("ho_bad_phone", lang), buttons=(self._cancel_row(lang),))]
        return await self._ask_consent(message, data | {"contact": "phone", "contact_value": phone}, lang)

    async def _got_email(self, message: IncomingMessage, data: dict, lang: str) -> list[Reply]:
        email = message.text.strip()
        if message.kind is not Kind.TEXT or not EMAIL.match(email) or len(email) > 200:
            return [Reply(t("ho_bad_email", lang), buttons=(self._cancel_row(lang),))]
        return await self._ask_consent(message, data | {"contact": "email", "contact_value": email}, lang)

    def _consent_question(self, team: str, lang: str) -> Reply:
        return Reply(
            t("ho_consent", lang, team=self._team(team, lang)),
            buttons=((Button(t("ho_consent_yes", lang), "ho:consent"), Button(t("ho_no", lang), "ho:no")),),
        )

    async def _ask_consent(self, message: IncomingMessage, data: dict, lang: str) -> list[Reply]:
        await self._set(message, "handover", "consent", data)
        return [self._consent_question(data["team"], lang)]

    @staticmethod
    def _source_key(message: IncomingMessage, data: dict) -> str | None:
        """What makes the ticket of this flow unique: the flow's id (older states: the update's id)."""
        if data.get("flow"):
            return f"flow:{data['flow']}"
        return f"{message.channel}:{message.external_id}" if message.external_id else None

    async def _consented(self, message: IncomingMessage, data: dict, lang: str) -> list[Reply]:
        if message.payload == "ho:no":
            await self.states.clear(message.channel, message.chat_id)
            return [Reply(t("ho_cancelled", lang))]
        if message.payload != "ho:consent":
            return self._use_buttons(lang, self._consent_question(data["team"], lang))
        ticket = await self.tickets.open(
            channel=message.channel,
            chat_id=message.chat_id,
            team=data["team"],
            lang=lang,
            question=data["question"],
            company=data["company"],
            contact=Contact(data["contact"], data.get("contact_value")),
            classification=data.get("classification"),
            source_key=self._source_key(message, data),
        )
        await self.states.clear(message.channel, message.chat_id)
        team = self.config.tickets.teams[ticket.team]
        opened = Reply(
            t(
                "ho_opened",
                lang,
                number=str(ticket.id),
                team=team.name.get(lang),
                response_time=team.response_time.get(lang),
            ),
            meta={"ticket": ticket.id},
        )
        # -- WhatsApp only: ask permission to notify after the 24-hour window (bot/window/consent.py) --
        if self.notify is not None and message.channel in self.notify.channels:
            await self._set(message, "handover", "notify", {"lang": lang, "ticket": ticket.id})
            return [opened, self.notify.question(lang)]
        # -- end WhatsApp only --
        return [opened]

    async def _notify_answered(self, message: IncomingMessage, data: dict, lang: str) -> list[Reply]:
        """WhatsApp only: the employer's answer to "may we notify you?" (stored by bot/window)."""
        if self.notify is None:  # the channel is gone (a restart without WhatsApp): nothing to ask
            await self.states.clear(message.channel, message.chat_id)
            return [Reply(t("unknown_button", lang))]
        if message.payload not in self.notify.payloads:
            return self._use_buttons(lang, self.notify.question(lang))
        await self.states.clear(message.channel, message.chat_id)
        return [await self.notify.answer(message.chat_id, message.payload, lang)]

    # -- messages while a ticket is open ---------------------------------------------------------------------------

    async def _add_or_new(self, message: IncomingMessage, ticket_id: int, team: str, lang: str) -> list[Reply]:
        await self._set(
            message, "ticket_add", "choose", {"ticket": ticket_id, "text": message.text[:MAX_QUESTION], "lang": lang}
        )
        return [self._add_or_new_reply(ticket_id, team, lang)]

    async def _added_or_new(self, message: IncomingMessage, data: dict, lang: str) -> list[Reply] | AskAnew:
        if message.payload == "ho:add":
            await self.states.clear(message.channel, message.chat_id)
            return await self._to_ticket(message, data["ticket"], data["text"], lang)
        if message.payload == "ho:new":
            await self.states.clear(message.channel, message.chat_id)
            return AskAnew(data["text"])
        if message.kind is Kind.TEXT:  # another message before choosing: it joins the pending one
            data = data | {"text": f"{data['text']}\n{message.text}"[:MAX_QUESTION]}
            await self._set(message, "ticket_add", "choose", data)
        ticket = await self.tickets.get(data["ticket"])
        return self._use_buttons(lang, self._add_or_new_reply(ticket.id, ticket.team, lang))

    def _add_or_new_reply(self, ticket_id: int, team: str, lang: str) -> Reply:
        return Reply(
            t("ho_adds_to", lang, number=str(ticket_id), team=self._team(team, lang)),
            buttons=(
                (Button(t("ho_add_button", lang, number=str(ticket_id)), "ho:add"),),
                (Button(t("ho_new_question", lang), "ho:new"),),
                self._cancel_row(lang),
            ),
        )

    async def _to_ticket(self, message: IncomingMessage, ticket_id: int, text: str, lang: str) -> list[Reply]:
        source = f"{message.channel}:{message.external_id}" if message.external_id else None
        try:
            ticket, reopened = await self.tickets.employer_message(
                ticket_id, message.channel, message.chat_id, text, source_key=source
            )
        except TicketNotFound:
            return [Reply(t("unknown_button", lang))]
        except InvalidTransition:
            return [Reply(t("ho_ticket_closed", lang, number=str(ticket_id)))]
        key = "ho_reopened" if reopened else "ho_added"
        return [Reply(t(key, lang, number=str(ticket.id), team=self._team(ticket.team, lang)))]

    async def _ticket_button(self, message: IncomingMessage, lang: str) -> list[Reply]:
        """Reply / Solved under a team's answer."""
        _, number, action = (message.payload.split(":") + ["", ""])[:3]
        ticket_id = parse_id(number)  # forged button data: bounded like every id from outside
        if ticket_id is None:
            return [Reply(t("unknown_button", lang))]
        try:
            if action == "solved":
                await self.tickets.solve(ticket_id, message.channel, message.chat_id)
                await self.states.clear(message.channel, message.chat_id)
                return [Reply(t("ho_solved", lang, number=number))]
            if action == "reply":
                ticket = await self.tickets.get(ticket_id)
                if (ticket.channel, ticket.chat_external_id) != (message.channel, message.chat_id):
                    raise TicketNotFound(number)
                await self._set(message, "ticket_reply", "reply", {"ticket": ticket_id, "lang": lang})
                return [Reply(t("ho_write_reply", lang, number=number), buttons=(self._cancel_row(lang),))]
        except TicketNotFound:
            pass
        except InvalidTransition:
            return [Reply(t("ho_ticket_closed", lang, number=number))]
        return [Reply(t("unknown_button", lang))]

    async def _got_reply(self, message: IncomingMessage, data: dict, lang: str) -> list[Reply]:
        if message.kind is not Kind.TEXT or not message.text.strip():
            return [Reply(t("ho_write_reply", lang, number=str(data["ticket"])), buttons=(self._cancel_row(lang),))]
        await self.states.clear(message.channel, message.chat_id)
        return await self._to_ticket(message, data["ticket"], message.text.strip()[:MAX_QUESTION], lang)

    # -- /tickets and /delete ----------------------------------------------------------------------------------------

    async def list_tickets(self, message: IncomingMessage, lang: str) -> Reply:
        tickets = await self.tickets.for_chat(message.channel, message.chat_id)
        if not tickets:
            return Reply(t("tickets_none", lang))
        lines = [
            t(
                "tickets_line",
                lang,
                number=str(k.id),
                team=self._team(k.team, lang),
                status=t(f"status_{k.status}", lang),
                date=k.created_at.strftime("%d.%m.%Y"),
                question=k.question if len(k.question) <= 80 else k.question[:79] + "…",
            )
            for k in tickets[:20]
        ]
        return Reply("\n".join([t("tickets_list", lang), *lines]))

    async def _delete_ask(self, message: IncomingMessage, lang: str) -> list[Reply]:
        tickets = await self.tickets.for_chat(message.channel, message.chat_id)
        await self._set(message, "delete", "confirm", {"lang": lang})
        return [
            Reply(
                t("delete_confirm", lang, tickets=str(len(tickets))),
                buttons=((Button(t("delete_yes", lang), "del:yes"), Button(t("ho_cancel", lang), "del:no")),),
            )
        ]

    async def _delete_confirmed(self, message: IncomingMessage, data: dict, lang: str) -> list[Reply]:
        if message.payload == "del:yes":
            erased = await self.tickets.delete_chat(message.channel, message.chat_id)
            log.info("chat %s:%s erased its data (%d tickets)", message.channel, message.chat_id, erased)
            return [Reply(t("delete_done", lang), erased=True)]
        await self.states.clear(message.channel, message.chat_id)
        if message.payload == "del:no":
            return [Reply(t("delete_kept", lang))]
        return self._use_buttons(lang, (await self._delete_ask(message, lang))[0])
