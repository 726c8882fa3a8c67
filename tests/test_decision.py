"""The decision rule's edges: thresholds, ambiguity, routes."""

from __future__ import annotations

import dataclasses

import pytest

from bot.config import Thresholds
from bot.decision import Route, decide
from nlu.types import Classification, Scored

T = Thresholds(answer=0.45, margin=0.15, clarify_min=0.08, escalate=0.40, out_of_scope=0.40, smalltalk=0.50)


def ranked(*pairs: tuple[str, float]) -> Classification:
    return Classification("frage", "de", 0.99, tuple(Scored(label, p) for label, p in pairs))


def test_confident_topic_clearly_ahead_is_answered():
    d = decide(ranked(("status.tolerated", 0.70), ("status.asylum_seeker", 0.10)), T)
    assert (d.route, d.faq_id) == (Route.ANSWER, "status.tolerated")
    assert "margin" in d.reason


def test_exactly_at_the_answer_threshold_with_enough_margin_is_answered():
    d = decide(ranked(("status.tolerated", 0.45), ("status.asylum_seeker", 0.30)), T)
    assert d.route is Route.ANSWER


def test_just_below_the_answer_threshold_asks_back_with_candidates():
    d = decide(ranked(("status.tolerated", 0.44), ("status.asylum_seeker", 0.20), ("permit.application", 0.10)), T)
    assert d.route is Route.CLARIFY
    assert [c.label for c in d.candidates] == ["status.tolerated", "status.asylum_seeker", "permit.application"]
    assert "below answer" in d.reason


def test_confident_but_too_close_to_the_runner_up_asks_back():
    d = decide(ranked(("status.tolerated", 0.50), ("training.employment_toleration", 0.40)), T)
    assert d.route is Route.CLARIFY
    assert {c.label for c in d.candidates} == {"status.tolerated", "training.employment_toleration"}
    assert "runner-up" in d.reason


def test_a_route_close_behind_a_topic_blocks_the_answer():
    d = decide(ranked(("permit.application", 0.50), ("authority", 0.40)), T)
    assert d.route is Route.CLARIFY


def test_clarification_offers_at_most_max_candidates():
    d = decide(ranked(*[(f"a.t{i}", 0.15) for i in range(5)]), T)
    assert d.route is Route.CLARIFY and len(d.candidates) == 3


def test_a_single_plausible_topic_is_offered_with_a_second_choice():
    d = decide(ranked(("a.one", 0.30), ("authority", 0.25), ("a.two", 0.05)), T)
    assert d.route is Route.CLARIFY
    assert [c.label for c in d.candidates] == ["a.one", "a.two"]


def test_nothing_plausible_asks_to_rephrase():
    d = decide(ranked(("a.one", 0.07), ("out_of_scope", 0.06), ("a.two", 0.04)), T)
    assert d.route is Route.CLARIFY and d.candidates == ()
    assert "rephrase" in d.reason


@pytest.mark.parametrize(
    "label, route",
    [("out_of_scope", Route.OUT_OF_SCOPE), ("smalltalk", Route.SMALLTALK), ("authority", Route.AUTHORITY)],
)
def test_a_weak_route_with_no_plausible_topic_takes_that_route(label, route):
    d = decide(ranked((label, 0.30), ("a.one", 0.05), ("a.two", 0.04)), T)
    assert d.route is route and d.candidates == ()
    assert "no topic is plausible" in d.reason


@pytest.mark.parametrize(
    "label, route, threshold",
    [
        ("authority", Route.AUTHORITY, 0.40),
        ("coordinator", Route.COORDINATOR, 0.40),
        ("out_of_scope", Route.OUT_OF_SCOPE, 0.40),
        ("smalltalk", Route.SMALLTALK, 0.50),
    ],
)
def test_routes_at_and_below_their_thresholds(label, route, threshold):
    at = decide(ranked((label, threshold), ("a.one", 0.10)), T)
    below = decide(ranked((label, threshold - 0.01), ("a.one", 0.10)), T)
    assert at.route is route and at.faq_id is None
    assert below.route is Route.CLARIFY and [c.label for c in below.candidates] == ["a.one"]


def test_thresholds_are_validated():
    with pytest.raises(ValueError, match="clarify_min must be lower than answer"):
        Thresholds(answer=0.3, clarify_min=0.3)


def with_terms(classification: Classification, term_topics) -> Classification:
    return dataclasses.replace(classification, term_topics=term_topics)


def test_a_question_without_any_key_term_needs_answer_without_term():
    t = Thresholds(answer=0.45, answer_without_term=0.55, margin=0.15)
    plain = ranked(("permit.minijob_parttime", 0.50), ("out_of_scope", 0.20))
    without = decide(with_terms(plain, ()), t)
    assert without.route is Route.CLARIFY
    assert "answer_without_term 0.55: no key term" in without.reason
    surer = ranked(("permit.minijob_parttime", 0.55), ("out_of_scope", 0.20))
    assert decide(with_terms(surer, ()), t).route is Route.ANSWER


@pytest.mark.parametrize("term_topics", [("status.tolerated",), ("permit.minijob_parttime",), None])
def test_a_key_term_or_a_backend_without_terms_keeps_the_plain_answer_threshold(term_topics):
    """Any topic's term counts (the question is of the field); None is Rasa, which does not look for terms."""
    t = Thresholds(answer=0.45, answer_without_term=0.55, margin=0.15)
    d = decide(with_terms(ranked(("permit.minijob_parttime", 0.50), ("out_of_scope", 0.20)), term_topics), t)
    assert (d.route, d.faq_id) == (Route.ANSWER, "permit.minijob_parttime")
    assert "answer 0.45" in d.reason


def test_routes_do_not_depend_on_key_terms():
    t = Thresholds(out_of_scope=0.25, answer_without_term=0.55)
    d = decide(with_terms(ranked(("out_of_scope", 0.25), ("a.one", 0.20)), ()), t)
    assert d.route is Route.OUT_OF_SCOPE


def test_the_configured_out_of_scope_and_escalate_thresholds(config):
    """config.yml: out_of_scope from 0.20, authority and coordinator from 0.35 (chosen on k-fold, docs/routing.md)."""
    t = config.thresholds
    assert decide(ranked(("out_of_scope", 0.20), ("a.one", 0.19)), t).route is Route.OUT_OF_SCOPE
    assert decide(ranked(("out_of_scope", 0.19), ("a.one", 0.18)), t).route is Route.CLARIFY
    assert decide(ranked(("authority", 0.35), ("a.one", 0.20)), t).route is Route.AUTHORITY
    assert decide(ranked(("coordinator", 0.34), ("a.one", 0.20)), t).route is Route.CLARIFY


def test_answer_without_term_below_answer_is_refused():
    with pytest.raises(ValueError, match="answer_without_term must be at least answer"):
        Thresholds(answer=0.45, answer_without_term=0.40)


def asking(text: str, term_topics=(), *pairs: tuple[str, float]) -> Classification:
    ranking = pairs or (("out_of_scope", 0.30), ("workplace.intercultural", 0.20), ("status.recognized", 0.10))
    return Classification(text, "de", 0.9, tuple(Scored(label, p) for label, p in ranking), term_topics=term_topics)


@pytest.mark.parametrize(
    "text, offered",
    [
        ("Irak?", ["status.asylum_seeker", "status.tolerated", "status.recognized"]),
        ("und was ist mit Somalia", ["status.asylum_seeker", "status.tolerated", "status.recognized"]),
        ("what about Yemen?", ["status.asylum_seeker", "status.tolerated", "status.recognized"]),
        ("Vietnam?", ["fachkraefte.overview", "permit.check_documents", "recognition.overview"]),
        ("Senegal", ["status.safe_country", "status.asylum_seeker", "status.tolerated"]),
        ("aus Montenegro?", ["fachkraefte.western_balkans", "status.safe_country", "status.asylum_seeker"]),
        ("Jemen oder Sudan?", ["status.asylum_seeker", "status.tolerated", "status.recognized"]),
    ],
)
def test_a_message_naming_only_a_country_asks_what_the_employer_wants_to_know(text, offered):
    d = decide(asking(text), T)
    assert (d.route, d.faq_id, d.prompt) == (Route.CLARIFY, None, "clarify_country")
    assert [c.label for c in d.candidates] == offered
    assert dict((c.label, c.confidence) for c in d.candidates).get("status.recognized", 0.10) == 0.10


@pytest.mark.parametrize(
    "text, term_topics",
    [
        ("Darf ich einen Bewerber aus dem Irak einstellen?", ()),  # a question, not just a country
        ("Kosovo?", ("fachkraefte.western_balkans",)),  # once an editor makes a country a key term, it decides
        ("Atlantis?", ()),  # not a country the rule knows
    ],
)
def test_a_country_in_a_question_or_in_a_key_term_is_decided_as_usual(text, term_topics):
    d = decide(asking(text, term_topics, ("status.recognized", 0.70), ("status.tolerated", 0.10)), T)
    assert (d.route, d.faq_id, d.prompt) == (Route.ANSWER, "status.recognized", "clarify")


def test_the_country_rule_asks_back_even_when_the_classifier_is_sure():
    """A country alone is no question: a confident answer from it would be a guess."""
    d = decide(asking("Afghanistan", (), ("status.tolerated", 0.80), ("status.asylum_seeker", 0.05)), T)
    assert d.route is Route.CLARIFY and d.prompt == "clarify_country"
    assert [c.confidence for c in d.candidates] == [0.05, 0.80, 0.0]
