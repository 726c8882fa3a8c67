"""The Rasa backend against a stand-in on 127.0.0.1: mapping, what is never sent, and every way Rasa fails."""

from __future__ import annotations

import logging

import pytest

from nlu.fallback import FailoverClassifier
from nlu.rasa import RasaClassifier, RasaSettings, RasaUnavailable, ranking_from
from nlu.types import IntentClassifier


def rasa_for(url: str, toy_embedded, **settings) -> RasaClassifier:
    return RasaClassifier(RasaSettings(url=url, token="s3cret", **settings), toy_embedded.labels, toy_embedded)


def failover(url: str, toy_embedded, retry_seconds: float = 0.0, **settings) -> FailoverClassifier:
    return FailoverClassifier(rasa_for(url, toy_embedded, **settings), toy_embedded, retry_seconds=retry_seconds)


async def test_rasa_ranking_becomes_lotse_ranking(standin, toy_embedded):
    rasa = rasa_for(standin.url, toy_embedded)
    assert isinstance(rasa, IntentClassifier)
    result = await rasa.classify("Gibt es einen Zuschuss für Geflüchtete?")
    await rasa.close()

    # nlu_fallback and labels this FAQ does not know are dropped, the rest renormalised
    assert [(s.label, round(s.confidence, 3)) for s in result.ranking] == [("funding.grant", 0.75),
                                                                          ("status.tolerated", 0.25)]
    assert result.backend == "rasa"
    assert result.lang == "de" and result.text == "Gibt es einen Zuschuss für Geflüchtete?"
    # folded as the training data was, with the token as a query parameter
    assert standin.received == [{"text": "gibt es einen zuschuss fur gefluchtete"}]
    assert standin.tokens == ["s3cret"]


async def test_commands_and_empty_text_never_reach_rasa(standin, toy_embedded):
    rasa = rasa_for(standin.url, toy_embedded)
    for text in ["/start", "  /topics", "/start@LotseBot hallo", "", "   ", "???", "👍"]:
        result = await rasa.classify(text)
        assert result.backend == "embedded"
    await rasa.close()
    assert standin.received == []
    assert rasa.requests == 0


async def test_one_session_for_the_classifiers_life(standin, toy_embedded):
    rasa = rasa_for(standin.url, toy_embedded)
    await rasa.classify("hallo")
    session = rasa._session
    await rasa.classify("danke")
    assert rasa._session is session and len(standin.received) == 2
    await rasa.close()
    assert session.closed


@pytest.mark.parametrize("mode", ["error", "slow", "malformed", "no_ranking", "unknown_labels"])
async def test_each_failure_is_rasa_unavailable(standin, toy_embedded, mode):
    standin.mode = mode
    if mode == "unknown_labels":
        standin.mode, standin.ranking = "ok", [{"name": "other.topic", "confidence": 1.0}]
    rasa = rasa_for(standin.url, toy_embedded, timeout_seconds=0.3)
    with pytest.raises(RasaUnavailable):
        await rasa.classify("hallo")
    await rasa.close()


async def test_connection_refused_is_rasa_unavailable(closed_port, toy_embedded):
    rasa = rasa_for(f"http://127.0.0.1:{closed_port}", toy_embedded)
    with pytest.raises(RasaUnavailable, match="127.0.0.1"):
        await rasa.classify("hallo")
    await rasa.close()


@pytest.mark.parametrize("mode", ["error", "slow", "malformed"])
async def test_outage_falls_back_logs_once_and_recovers(standin, toy_embedded, caplog, mode):
    classifier = failover(standin.url, toy_embedded, timeout_seconds=0.3)
    caplog.set_level(logging.WARNING, logger="nlu.fallback")
    standin.mode = mode
    answers = [await classifier.classify(text) for text in ["hallo", "danke", "is there a wage subsidy"]]

    assert [a.backend for a in answers] == ["embedded"] * 3  # the bot keeps answering
    assert answers[2].top.label == "funding.grant"
    assert classifier.degraded and classifier.outages == 1 and classifier.fallback_messages == 3
    assert len(caplog.records) == 1 and "classifying with the embedded model" in caplog.text

    standin.mode = "ok"
    recovered = await classifier.classify("hallo")
    assert recovered.backend == "rasa" and not classifier.degraded
    assert len(caplog.records) == 2 and "answers again" in caplog.records[1].getMessage()

    standin.mode = mode  # a second outage is logged and counted again
    await classifier.classify("hallo")
    assert classifier.outages == 2 and len(caplog.records) == 3
    await classifier.close()


async def test_rasa_down_from_the_start(closed_port, toy_embedded, caplog):
    classifier = failover(f"http://127.0.0.1:{closed_port}", toy_embedded)
    caplog.set_level(logging.WARNING, logger="nlu.fallback")
    results = [await classifier.classify(f"frage {i} zur duldung") for i in range(5)]
    assert all(r.backend == "embedded" and r.top.label == "status.tolerated" for r in results)
    assert classifier.outages == 1 and classifier.fallback_messages == 5
    assert len(caplog.records) == 1
    await classifier.close()


async def test_during_an_outage_rasa_is_asked_only_every_retry_seconds(standin, toy_embedded):
    now = [100.0]
    primary = rasa_for(standin.url, toy_embedded)
    classifier = FailoverClassifier(primary, toy_embedded, retry_seconds=30, clock=lambda: now[0])
    standin.mode = "error"
    await classifier.classify("hallo")
    standin.mode = "ok"
    now[0] += 10
    assert (await classifier.classify("hallo")).backend == "embedded"  # not asked: a slow Rasa costs no one time
    assert primary.requests == 1
    now[0] += 25
    assert (await classifier.classify("hallo")).backend == "rasa"
    assert primary.requests == 2
    await classifier.close()


async def test_a_model_from_another_faq_is_reported_once(standin, toy_embedded, caplog):
    rasa = rasa_for(standin.url, toy_embedded, expected_model="0123456789abcdef.tar.gz")
    caplog.set_level(logging.WARNING, logger="nlu.rasa")
    await rasa.classify("hallo")
    await rasa.classify("danke")
    await rasa.close()
    assert len(caplog.records) == 1 and "standin.tar.gz" in caplog.text and "rasa train" in caplog.text


def test_ranking_from_keeps_the_first_of_duplicates_and_ignores_bad_numbers():
    payload = {"intent_ranking": [{"name": "a.b", "confidence": 0.5}, {"name": "a.b", "confidence": 0.4},
                                  {"name": "c.d", "confidence": float("nan")}, {"name": "e.f", "confidence": 0.5}]}
    ranking = ranking_from(payload, frozenset({"a.b", "c.d", "e.f"}), max_ranked=10)
    assert [(s.label, s.confidence) for s in ranking] == [("a.b", 0.5), ("e.f", 0.5)]
    assert len(ranking_from(payload, frozenset({"a.b", "e.f"}), max_ranked=1)) == 1
