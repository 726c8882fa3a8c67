"""The employer's conversation, the same on every channel: message in, replies out."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.config import Config
from bot.decision import Decision, Route, decide
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
        if handover is not None:
            self.attach_handover(handover)

    def attach_handover(self, handover: Handover) -> None:
        """Pass questions for people to the ticket queue (bot/handover.py) from now on.

        Raises:
            ValueError: the chat store is not in the hand-over's database. The chat's context (its
                language, flow step and open ticket) is read in one statement from that database.
        """
        if getattr(self.store, "database", None) is not handover.states.database:
            raise ValueError("the dialogue's chat store and the hand-over must share one database")
        self.handover = handover

    async def context(self, message: IncomingMessage) -> ChatContext:
        """What every message needs first, read once: the reply language, the flow step, an open ticket."""
        if self.handover is None:
            return ChatContext(await self.chat_language(message), None)
        view = await self.handover.view(message)
        return ChatContext(self._language(message, view.language), view)

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        UPDATES.labels(message.channel).inc()
        context = await self.context(message)
        lang = context.lang
        if self.handover is not None:  # a step of the hand-over flow, or a message on an open ticket
            outcome = await self.handover.intercept(message, lang, context.view)
            if isinstance(outcome, AskAnew):
                return await self._question(replace(message, kind=Kind.TEXT, text=outcome.text, payload=""), lang)
            if outcome is not None:
                return outcome
        if message.kind is Kind.MEDIA:
            return [Reply(t("type_your_question", lang))]
        if message.kind is Kind.COMMAND:
            return await self._command(message, lang)
        if message.kind is Kind.BUTTON:
            return await self._button(message, lang)
        return await self._question(message, lang)

    async def chat_language(self, message: IncomingMessage) -> str:
        return self._language(message, await self.store.language(message.channel, message.chat_id))

    def _language(self, message: IncomingMessage, stored: str | None) -> str:
        """The chat's chosen language, else its Telegram client's if Lotse speaks it, else the default."""
        if stored:
            return stored
        hint = (message.language_hint or "")[:2].lower()
        return hint if hint in self.config.languages.supported else self.config.languages.default

    async def understand(self, text: str, chat_lang: str | None = None) -> Understanding:
        """Classify and decide, as for the first message of a conversation."""
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
        return Understanding(classification, decide(classification, self.config.thresholds), lang)

    # -- free text ----------------------------------------------------------------

    async def _question(self, message: IncomingMessage, lang: str) -> list[Reply]:
        text = message.text.strip()
        understood = await self.understand(text, lang)
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
            return [self.render_topic(faq.topics[decision.faq_id], lang, decision_id)]
        if decision.route is Route.CLARIFY:
            return [self._clarification(decision, lang)]
        if decision.route in (Route.AUTHORITY, Route.COORDINATOR):
            return await self.offer_handover(message, decision.route.value, lang, question=text, decision=decision)
        if decision.route is Route.SMALLTALK:
            return [Reply(t("smalltalk", lang))]
        return [Reply(t("out_of_scope", lang), buttons=((Button(t("ask_person", lang), "human:coordinator"),),))]

    def _clarification(self, decision: Decision, lang: str) -> Reply:
        faq = self.knowledge.current.faq
        if not decision.candidates:
            return Reply(
                t("rephrase", lang),
                buttons=((Button("/topics", "topics"),), (Button(t("ask_person", lang), "human:coordinator"),)),
            )
        rows = tuple((Button(faq.topics[c.label].title.get(lang), f"faq:{c.label}"),) for c in decision.candidates)
        return Reply(t("clarify", lang), buttons=rows + ((Button(t("none_of_these", lang), "human:coordinator"),),))

    # -- answers --------------------------------------------------------------------

    def render_topic(self, topic: Topic, lang: str, decision_id: int | None = None) -> Reply:
        """An FAQ answer with steps, sources, review date, and buttons for the next step."""
        contacts = self.config.contacts.placeholders(lang)
        footer = [t("reviewed", lang, date=topic.reviewed.strftime("%d.%m.%Y" if lang == "de" else "%d %b %Y"))]
        text = fill(topic.answer.get(lang).strip(), contacts)
        if topic.individual_case != "none" and contacts[topic.individual_case] not in text:
            footer.append(t("individual_case", lang, contact=contacts[topic.individual_case]))
        faq = self.knowledge.current.faq
        related = tuple(
            (Button(faq.topics[r].title.get(lang), f"faq:{r}"),) for r in topic.related[:3] if r in faq.topics
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
        self, message: IncomingMessage, team: str, lang: str, question: str = "", decision: Decision | None = None
    ) -> list[Reply]:
        """Offer to pass the question to a person; without a ticket queue, say whom to contact."""
        if self.handover is not None:
            return await self.handover.offer(message, team, lang, question, decision)
        contact = self.config.contacts.placeholders(lang)[team]
        intro = t("handover_authority" if team == "authority" else "handover_coordinator", lang)
        return [Reply(f"{intro}\n\n{t('handover_direct', lang, contact=contact)}", meta={"handover": team})]

    # -- commands and buttons ----------------------------------------------------------

    async def _command(self, message: IncomingMessage, lang: str) -> list[Reply]:
        name = command_name(message.text)
        if name == "start":
            return [Reply(t("greeting", lang)), self._language_choice(lang, t("privacy_short", lang))]
        if name == "help":
            return [Reply(t("help", lang))]
        if name == "topics":
            return [self._areas(lang)]
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

    def _areas(self, lang: str) -> Reply:
        faq = self.knowledge.current.faq
        return Reply(t("areas", lang), buttons=tuple((Button(a.title.get(lang), f"area:{a.id}"),) for a in faq.areas))

    async def _button(self, message: IncomingMessage, lang: str) -> list[Reply]:
        kind, _, rest = message.payload.partition(":")
        faq = self.knowledge.current.faq
        if kind == "lang" and rest in self.config.languages.supported:
            await self.store.set_language(message.channel, message.chat_id, rest)
            return [Reply(t("language_set", rest))]
        if kind == "topics":
            return [self._areas(lang)]
        if kind == "area":
            area = next((a for a in faq.areas if a.id == rest), None)
            if area:
                rows = tuple((Button(faq.topics[i].title.get(lang), f"faq:{i}"),) for i in area.topic_ids)
                return [Reply(t("area_topics", lang, area=area.title.get(lang)), buttons=rows)]
        if kind == "faq" and rest in faq.topics:
            return [self.render_topic(faq.topics[rest], lang)]
        if kind == "fb":
            return await self._feedback(message, rest, lang)
        if kind == "human" and rest in ("authority", "coordinator"):
            return await self.offer_handover(message, rest, lang)
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
