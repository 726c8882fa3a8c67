"""Against a real Rasa 3.6 server trained from the project's own FAQ export (slow set-up, cached)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.messages import IncomingMessage, Kind
from nlu.fallback import FailoverClassifier
from nlu.rasa import RasaClassifier, RasaSettings, RasaUnavailable
from tests.rasa.conftest import core_with_rasa

pytestmark = pytest.mark.rasa


@pytest.fixture
async def rasa_core(shared_core, rasa_server):
    core = core_with_rasa(shared_core, rasa_server.url, rasa_server.token)
    yield core
    await core.close()


def test_the_server_serves_this_faqs_model_on_loopback_only(rasa_server, rasa_prepared):
    assert rasa_server.status()["model_file"] == rasa_prepared.export.model_file
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, port = local.rsplit(":", 1)
            if state == "0A" and int(port, 16) == rasa_server.port:  # 0A: LISTEN
                listening.add(address)
    assert listening == {"0100007F"}  # 127.0.0.1, not 0.0.0.0 (Rasa's default)


def test_the_token_is_required(rasa_server):
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"{rasa_server.url}/status", timeout=10)
    error.value.close()
    assert error.value.code == 401


async def test_rasa_ranks_the_faqs_own_topic_titles_first(rasa_server, rasa_prepared, shared_core):
    faq = rasa_prepared.faq
    labels = {e.label for e in faq.training_examples()}
    embedded = shared_core.knowledge.current.classifier
    rasa = RasaClassifier(RasaSettings(url=rasa_server.url, token=rasa_server.token, timeout_seconds=10),
                          labels, embedded)
    hits, total = 0, 0
    try:
        for topic in faq.topics.values():
            for lang in ("de", "en"):
                result = await rasa.classify(topic.title.get(lang))
                assert result.backend == "rasa" and abs(sum(s.confidence for s in result.ranking) - 1) < 0.01
                assert len(result.ranking) <= 10 and all(s.label in labels for s in result.ranking)
                total += 1
                hits += result.top.label == topic.id
    finally:
        await rasa.close()
    # titles are training data: a model that learned anything gets nearly all of them
    assert hits / total >= 0.9, f"{hits}/{total}"


async def test_the_dialogue_answers_through_rasa(rasa_core, rasa_prepared):
    classifier = rasa_core.knowledge.current.classifier
    assert isinstance(classifier, FailoverClassifier)
    topic = next(iter(rasa_prepared.faq.topics.values()))
    question = topic.examples.de[0]
    understood = await rasa_core.dialogue.understand(question)
    assert understood.classification.backend == "rasa"
    assert understood.classification.top.label == topic.id
    replies = await rasa_core.dialogue.handle(IncomingMessage("test", "1", Kind.TEXT, text=question))
    assert replies and replies[0].text
    # commands go to the dialogue's command handling, never to Rasa (which would answer "/start" itself)
    requests = classifier.primary.requests
    replies = await rasa_core.dialogue.handle(IncomingMessage("test", "1", Kind.COMMAND, text="/start"))
    await rasa_core.dialogue.understand("/start")
    assert replies and classifier.primary.requests == requests
    assert classifier.outages == 0


async def test_a_wrong_token_counts_as_an_outage(shared_core, rasa_server):
    core = core_with_rasa(shared_core, rasa_server.url, token="wrong")
    try:
        classifier = core.knowledge.current.classifier
        with pytest.raises(RasaUnavailable, match="401"):
            await classifier.primary.classify("Darf ich einen Geflüchteten einstellen?")
        understood = await core.dialogue.understand("Darf ich einen Geflüchteten einstellen?")
        assert understood.classification.backend == "embedded" and classifier.outages == 1
    finally:
        await core.close()


def test_parse_answers_in_rasas_documented_shape(rasa_server):
    request = urllib.request.Request(f"{rasa_server.url}/model/parse?token={rasa_server.token}",
                                     data=json.dumps({"text": "hallo"}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = json.loads(response.read())
    assert {"text", "intent", "intent_ranking"} <= set(body)
    assert all({"name", "confidence"} <= set(entry) for entry in body["intent_ranking"])
