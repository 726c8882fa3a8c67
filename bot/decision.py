"""The decision rule: what to do with a classified message, and why."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.config import Thresholds
from bot.countries import topics_for_a_country
from nlu.types import Classification, Scored, is_topic


class Route(StrEnum):
    ANSWER = "answer"
    CLARIFY = "clarify"
    AUTHORITY = "authority"
    COORDINATOR = "coordinator"
    OUT_OF_SCOPE = "out_of_scope"
    SMALLTALK = "smalltalk"


@dataclass(frozen=True)
class Decision:
    route: Route
    faq_id: str | None
    confidence: float
    candidates: tuple[Scored, ...]
    reason: str
    prompt: str = "clarify"  # what a clarification asks (a key of bot/texts.py)


_ROUTE_THRESHOLDS = {
    "authority": ("escalate", Route.AUTHORITY),
    "coordinator": ("escalate", Route.COORDINATOR),
    "out_of_scope": ("out_of_scope", Route.OUT_OF_SCOPE),
    "smalltalk": ("smalltalk", Route.SMALLTALK),
}


def decide(classification: Classification, thresholds: Thresholds) -> Decision:
    """Turn a classification into answer, clarify, a hand-over route, out of scope or small talk.

    A confident wrong answer on a legal question is the worst outcome, so a topic is only
    answered when it is both confident and clearly ahead of the runner-up; otherwise the
    plausible topics are offered as choices, and with none plausible the employer is asked
    to rephrase and offered a person.
    """
    if not classification.term_topics and (offered := topics_for_a_country(classification.text)):
        # "Syrien?": no question yet, and the classifier's ranking says nothing about a country alone
        candidates = tuple(Scored(t, classification.confidence_of(t)) for t in offered[: thresholds.max_candidates])
        return Decision(
            Route.CLARIFY, None, 0.0, candidates, "only a country named: ask what they want to know", "clarify_country"
        )
    ranking = classification.ranking
    top = ranking[0]
    runner_up = ranking[1].confidence if len(ranking) > 1 else 0.0
    topics = tuple(s for s in ranking if is_topic(s.label))
    best_topic = topics[0] if topics else None
    # A question without any of the field's key terms (faq `terms:`) is answered only when the
    # model is surer: most of them are general HR, tax or payroll questions that merely look alike.
    no_term = classification.term_topics == ()
    needed = thresholds.answer_without_term if no_term else thresholds.answer

    if not is_topic(top.label):
        threshold_name, route = _ROUTE_THRESHOLDS[top.label]
        threshold = getattr(thresholds, threshold_name)
        if top.confidence >= threshold:
            return Decision(
                route,
                None,
                top.confidence,
                (),
                f"{top.label} {top.confidence:.2f} >= {threshold_name} threshold {threshold:.2f}",
            )
    elif top.confidence >= needed and top.confidence - runner_up >= thresholds.margin:
        return Decision(
            Route.ANSWER,
            top.label,
            top.confidence,
            (top,),
            f"{top.label} {top.confidence:.2f} >= answer {needed:.2f}, "
            f"ahead of the runner-up by {top.confidence - runner_up:.2f} >= margin {thresholds.margin:.2f}",
        )

    candidates = tuple(s for s in topics if s.confidence >= thresholds.clarify_min)[: thresholds.max_candidates]
    if len(candidates) == 1 and len(topics) > 1:
        candidates += (topics[1],)  # one lone button reads like an answer; offer a second
    faq_id = best_topic.label if best_topic else None
    confidence = best_topic.confidence if best_topic else 0.0
    if candidates:
        if is_topic(top.label):
            why = (
                f"{top.label} {top.confidence:.2f} below answer {thresholds.answer:.2f}"
                if top.confidence < thresholds.answer
                else f"{top.label} {top.confidence:.2f} below answer_without_term {needed:.2f}: no key term"
                if top.confidence < needed
                else f"{top.label} only {top.confidence - runner_up:.2f} ahead of the runner-up "
                f"(margin {thresholds.margin:.2f})"
            )
        else:
            why = f"{top.label} {top.confidence:.2f} below its threshold"
        return Decision(Route.CLARIFY, faq_id, confidence, candidates, f"{why}: offer {len(candidates)} topics")
    if not is_topic(top.label):
        # No topic is plausible, so no legal answer is at risk: the best route is the most
        # helpful reply ("not my field" or "hello" beats "please rephrase"; a hand-over is
        # confirmed by the employer before anything is passed on).
        route = _ROUTE_THRESHOLDS[top.label][1]
        return Decision(
            route,
            None,
            top.confidence,
            (),
            f"{top.label} {top.confidence:.2f} below its threshold, but no topic is plausible",
        )
    return Decision(
        Route.CLARIFY,
        faq_id,
        confidence,
        (),
        f"nothing plausible (best {top.label} {top.confidence:.2f}): ask to rephrase, offer a person",
    )
