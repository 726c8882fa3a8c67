"""The employer's conversation, the same on every channel: message in, replies out."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.config import Config
from bot.decision import Decision, Route, decide
from bot.districts import DistrictChoice
from bot.districts.texts import dt
from bot.knowledge import KnowledgeBase, Topic
from bot.knowledge.model import fill
from bot.messages import AskAnew, Button, IncomingMessage, Kind, Link, Reply
from bot.metrics import CLASSIFY_SECONDS, DECISIONS, UPDATES
from bot.store import ChatStore

if TYPE_CHECKING:
    from bot.handover import Handover
    from bot.tickets.conversation import ChatView
from bot.texts import t
from nlu.text import has_letters
from nlu.types import Classification

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChatContext:
    """A chat as one message finds it: read once per message (`Dialogue.context`)."""

    lang: str  # the language to answer in
    view: ChatView | None  # flow step and open ticket; None without a ticket queue
    district: str | None = None  # its district (config.yml districts:); None: a network chat that chose none yet


@dataclass(frozen=True)
class Understanding:
    """A message classified and decided, in the language the answer should come in."""

    classification: Classification | None  # None when there was nothing to classify
    decision: Decision
    lang: str
    problem: str = ""  # "empty" or "too_long": the text was not classified


def command_name(text: str) -> str:
    """'/start@LotseBot foo' -> 'start'."""
    return text.split()[0][1:].split("@")[0].lower() if text.strip() else ""


class Dialogue:
    """Decides what to say; channels only convert messages and render replies."""

    def __init__(self, config: Config, knowledge: KnowledgeBase, store: ChatStore, handover: Handover | None = None):
        self.config = config
        self.knowledge = knowledge
        self.store = store
        self.handover: Handover | None = None  # None: no ticket queue; hand-overs name the contact instead
        self.districts = DistrictChoice(config, store)
        if handover is not None:
            self.attach_handover(handover)

    def attach_handover(self, handover: Handover) -> None:
        """Pass questions for people to the ticket queue (bot/handover.py) from now on.

        Raises:
            ValueError: the chat store is not in the hand-over's database. The chat's context (its
                language, flow step and open ticket) is read in one transaction from that database.
        """
        if getattr(self.store, "database", None) is not handover.states.database:
            raise ValueError("the dialogue's chat store and the hand-over must share one database")
        self.handover = handover
        self.districts.states = handover.states  # a question waiting for the district is kept in the flow state

    async def context(self, message: IncomingMessage) -> ChatContext:
        """What every message needs first, read once: the reply language, the flow step, an open ticket."""
        if self.handover is None:
            stored = await self.store.district(message.channel, message.chat_id) if self.districts.network else None
            return ChatContext(await self.chat_language(message), None, self.districts.known(stored))
        view = await self.handover.view(message)
        return ChatContext(self._language(message, view.language), view, self.districts.known(view.district))

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        UPDATES.labels(message.channel).inc()
        context = await self.context(message)
        lang = context.lang
        state = context.view.state if context.view is not None else None
        chosen = await self.districts.intercept(message, lang, context.district, state)
        if isinstance(chosen, AskAnew):  # the district is chosen now: answer the question that waited for it
            context = await self.context(message)
            asked = replace(message, kind=Kind.TEXT, text=chosen.text, payload="")
            return [*chosen.preface, *await self._question(asked, lang, context.district)]
        if chosen is not None:
            return chosen
        district = context.district
        if self.handover is not None:  # a step of the hand-over flow, or a message on an open ticket
            outcome = await self.handover.intercept(message, lang, context.view)
            if isinstance(outcome, AskAnew):
                asked = replace(message, kind=Kind.TEXT, text=outcome.text, payload="")
                return await self._question(asked, lang, district)
            if outcome is not None:
                return outcome
        if message.kind is Kind.MEDIA:
            return [Reply(t("type_your_question", lang))]
        if message.kind is Kind.COMMAND:
            return await self._command(message, lang, district)
        if message.kind is Kind.BUTTON:
            return await self._button(message, lang, district)
        return await self._question(message, lang, district)

    async def chat_language(self, message: IncomingMessage) -> str:
        return self._language(message, await self.store.language(message.channel, message.chat_id))

    def _language(self, message: IncomingMessage, stored: str | None) -> str:
        """The chat's chosen language, else its Telegram client's if Lotse speaks it, else the default."""
        if stored:
            return stored
        hint = (message.language_hint or "")[:2].lower()
        return hint if hint in self.config.languages.supported else self.config.languages.default

    async def understand(self, text: str, chat_lang: str | None = None, district: str | None = None) -> Understanding:
        """Classify and decide, as for the first message of a conversation.

        `district`: only topics that chat's district has are considered (the classifier knows all of
        them; another district's local topic is dropped from the ranking, not replaced by a guess).
        """
        lang = chat_lang or self.config.languages.default
        text = text.strip()
        if not has_letters(text):  # empty, "???" or only emoji: nothing to classify
            return Understanding(
                None,
                Decision(Route.CLARIFY, None, 0.0, (), "no words to classify: ask for a question"),
                lang,
                problem="empty",
            )
        if len(text) > self.config.chat.max_message_chars:
            return Understanding(
                None,
                Decision(
                    Route.CLARIFY,
                    None,
                    0.0,
                    (),
                    f"{len(text)} characters, over {self.config.chat.max_message_chars}: ask for a shorter question",
                ),
                lang,
                problem="too_long",
            )
        with CLASSIFY_SECONDS.time():
            classification = await self.knowledge.current.classifier.classify(text)
        confident = classification.lang_confidence >= self.config.languages.detection_min_confidence
        lang = classification.lang if confident else (chat_lang or self.config.languages.default)
        classification = self._in_district(classification, district)
        return Understanding(classification, decide(classification, self.config.thresholds), lang)

    def _in_district(self, classification: Classification, district: str | None) -> Classification:
        faq = self.knowledge.current.faq
        if not faq.local_to:
            return classification

        def available(label: str) -> bool:
            return label not in faq.topics or faq.available(label, district)  # routes stay

        terms = classification.term_topics
        return replace(
            classification,
            ranking=tuple(s for s in classification.ranking if available(s.label)),
            term_topics=tuple(topic for topic in terms if available(topic)) if terms is not None else None,
        )

    # -- free text ----------------------------------------------------------------

    async def _question(self, message: IncomingMessage, lang: str, district: str | None = None) -> list[Reply]:
        text = message.text.strip()
        understood = await self.understand(text, lang, district)
        if understood.problem == "empty":
            return [Reply(t("empty", lang))]
        if understood.problem == "too_long":
            limit = self.config.chat.max_message_chars
            return [Reply(t("too_long", lang, length=str(len(text)), limit=str(limit)))]
        decision, lang = understood.decision, understood.lang
        DECISIONS.labels(decision.route.value).inc()
        decision_id = await self.store.record_decision(message.channel, message.chat_id, text, lang, decision)
        log.info("decision %s %s (%s)", decision.route, decision.faq_id or "-", decision.reason)
        faq = self.knowledge.current.faq
        if decision.route is Route.ANSWER:
            assert decision.faq_id is not None, "bot.decision.decide names the topic of every ANSWER"
            return [self.render_topic(faq.topics[decision.faq_id], lang, decision_id, district)]
        if decision.route is Route.CLARIFY:
            return [self._clarification(decision, lang, district)]
        if decision.route in (Route.AUTHORITY, Route.COORDINATOR):
            return await self.offer_handover(
                message, decision.route.value, lang, question=text, decision=decision, district=district
            )
        if decision.route is Route.SMALLTALK:
            return [Reply(t("smalltalk", lang))]
        return [Reply(t("out_of_scope", lang), buttons=((Button(t("ask_person", lang), "human:coordinator"),),))]

    def _clarification(self, decision: Decision, lang: str, district: str | None) -> Reply:
        if not decision.candidates:
            return Reply(
                t("rephrase", lang),
                buttons=((Button("/topics", "topics"),), (Button(t("ask_person", lang), "human:coordinator"),)),
            )
        rows = tuple(
            (Button(self._topic(c.label, district).title.get(lang), f"faq:{c.label}"),) for c in decision.candidates
        )
        none_of_these = (Button(t("none_of_these", lang), "human:coordinator"),)
        return Reply(t(decision.prompt, lang), buttons=rows + (none_of_these,))

    # -- answers --------------------------------------------------------------------

    def _topic(self, topic_id: str, district: str | None) -> Topic:
        """The topic in the district's wording (callers checked that the district has it)."""
        return self.knowledge.current.faq.topic_in(topic_id, district) or self.knowledge.current.faq.topics[topic_id]

    def render_topic(
        self, topic: Topic, lang: str, decision_id: int | None = None, district: str | None = None
    ) -> Reply:
        """An FAQ answer with steps, sources, review date, and buttons for the next step.

        `district`: whose contacts fill the placeholders and whose local wording is used.
        """
        topic = self.knowledge.current.faq.topic_in(topic.id, district) or topic
        contacts = self.config.district(district).contacts.placeholders(lang)
        footer = [t("reviewed", lang, date=topic.reviewed.strftime("%d.%m.%Y" if lang == "de" else "%d %b %Y"))]
        text = fill(topic.answer.get(lang).strip(), contacts)
        if topic.individual_case != "none" and contacts[topic.individual_case] not in text:
            footer.append(t("individual_case", lang, contact=contacts[topic.individual_case]))
        faq = self.knowledge.current.faq
        related = tuple(
            (Button(self._topic(r, district).title.get(lang), f"faq:{r}"),)
            for r in topic.related[:3]
            if faq.available(r, district)
        )
        ref = f"{topic.id}:{decision_id or 0}"
        team = topic.individual_case if topic.individual_case != "none" else "coordinator"
        buttons = related + (
            (Button("👍", f"fb:u:{ref}"), Button("👎", f"fb:d:{ref}")),
            (Button(t("ask_person", lang), f"human:{team}"),),
        )
        return Reply(
            title=topic.title.get(lang),
            text=text,
            steps=tuple(fill(s, contacts) for s in (topic.steps.get(lang) if topic.steps else ())),
            links=tuple(Link(s.title, s.url) for s in topic.sources),
            footer="\n".join(footer),
            buttons=buttons,
            meta={"faq_id": topic.id, "decision_id": decision_id, "lang": lang},
        )

    async def offer_handover(
        self,
        message: IncomingMessage,
        team: str,
        lang: str,
        question: str = "",
        decision: Decision | None = None,
        district: str | None = None,
    ) -> list[Reply]:
        """Offer to pass the question to a person of the chat's district; without a ticket queue, name the contact."""
        if self.districts.network and district is None:  # nothing is handed over before the district is known
            return [self.districts.question(lang, first=True)]
        if self.handover is not None:
            return await self.handover.offer(message, team, lang, question, decision, district=district)
        contact = self.config.district(district).contacts.placeholders(lang)[team]
        intro = t("handover_authority" if team == "authority" else "handover_coordinator", lang)
        return [Reply(f"{intro}\n\n{t('handover_direct', lang, contact=contact)}", meta={"handover": team})]

    # -- commands and buttons ----------------------------------------------------------

    async def _command(self, message: IncomingMessage, lang: str, district: str | None) -> list[Reply]:
        name = command_name(message.text)
        if name == "start":
            replies = [Reply(t("greeting", lang)), self._language_choice(lang, t("privacy_short", lang))]
            chosen = await self.districts.from_start(message, lang)  # a deep link names the district
            if chosen is not None:
                return [*replies, chosen]
            return replies if district else [*replies, self.districts.question(lang)]
        if name == "help":  # /tickets, /cancel and /delete exist only with a ticket queue (bot/handover.py)
            tickets = t("help_tickets", lang) if self.handover is not None else ""
            return [Reply(t("help", lang) + (dt("district_help", lang) if self.districts.network else "") + tickets)]
        if name == "topics":
            return [self._areas(lang, district)]
        if name == "lang":
            return [self._language_choice(lang, t("choose_language", lang))]
        if name == "privacy":
            return [Reply(self._privacy(lang), buttons=((Button(t("ask_person", lang), "human:coordinator"),),))]
        return [Reply(t("unknown_command", lang))]

    def _privacy(self, lang: str) -> str:
        """The privacy notice, ending with exactly what /delete leaves under this configuration."""
        erased = f"privacy_delete_{self.config.tickets.on_delete}"
        days = f"{self.config.retention.days:g}"
        return f"{t('privacy', lang)}\n{t(erased, lang, days=days)}"

    def _language_choice(self, lang: str, text: str) -> Reply:
        return Reply(text, buttons=((Button("Deutsch", "lang:de"), Button("English", "lang:en")),))

    def _areas(self, lang: str, district: str | None) -> Reply:
        faq = self.knowledge.current.faq
        areas = [a for a in faq.areas if any(faq.available(i, district) for i in a.topic_ids)]
        return Reply(t("areas", lang), buttons=tuple((Button(a.title.get(lang), f"area:{a.id}"),) for a in areas))

    async def _button(self, message: IncomingMessage, lang: str, district: str | None) -> list[Reply]:
        kind, _, rest = message.payload.partition(":")
        faq = self.knowledge.current.faq
        if kind == "lang" and rest in self.config.languages.supported:
            await self.store.set_language(message.channel, message.chat_id, rest)
            return [Reply(t("language_set", rest))]
        if kind == "topics":
            return [self._areas(lang, district)]
        if kind == "area":
            area = next((a for a in faq.areas if a.id == rest), None)
            if area:
                rows = tuple(
                    (Button(self._topic(i, district).title.get(lang), f"faq:{i}"),)
                    for i in area.topic_ids
                    if faq.available(i, district)
                )
                return [Reply(t("area_topics", lang, area=area.title.get(lang)), buttons=rows)]
        if kind == "faq" and faq.available(rest, district):
            return [self.render_topic(faq.topics[rest], lang, district=district)]
        if kind == "fb":
            return await self._feedback(message, rest, lang)
        if kind == "human" and rest in ("authority", "coordinator"):
            return await self.offer_handover(message, rest, lang, district=district)
        return [Reply(t("unknown_button", lang))]

    async def _feedback(self, message: IncomingMessage, rest: str, lang: str) -> list[Reply]:
        vote, _, ref = rest.partition(":")
        faq_id, _, decision = ref.partition(":")
        if vote not in ("u", "d") or faq_id not in self.knowledge.current.faq.topics:
            return [Reply(t("unknown_button", lang))]
        decision_id = int(decision) if decision.isdigit() and int(decision) > 0 else None
        await self.store.record_feedback(message.channel, message.chat_id, decision_id, faq_id, vote == "u")
        if vote == "u":
            return [Reply(t("feedback_thanks_up", lang))]
        team = self.knowledge.current.faq.topics[faq_id].individual_case
        team = team if team != "none" else "coordinator"
        return [Reply(t("feedback_thanks_down", lang), buttons=((Button(t("ask_person", lang), f"human:{team}"),),))]
