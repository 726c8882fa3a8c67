"""Rasa follows a FAQ edit against a real Rasa 3.6 server: trained in the background, loaded, then used.

The FAQ is a toy one (the client tests' examples), so that both trainings take about a minute on
2 cores; the models go to a temporary folder, never into the project's model cache.
"""

from __future__ import annotations

import datetime as dt
import secrets

import pytest

from bot.knowledge import Faq
from bot.knowledge.model import Source, Text, TextList, Topic
from bot.rasa_tools import RasaServer, build_export, ensure_model, ensure_venv, free_port
from bot.rasa_tools.follow import RasaFollower, train_in_cache
from bot.rasa_tools.model import model_labels
from nlu.rasa import RasaClassifier, RasaSettings, ServedModel
from tests.rasa.conftest import TOY_EXAMPLES, _progress

pytestmark = pytest.mark.rasa


def toy_faq(*topic_ids: str) -> Faq:
    """The toy examples as a FAQ with these topics (and the routes they have)."""

    def texts(label: str) -> TextList:
        return TextList(**{lang: tuple(e.text for e in TOY_EXAMPLES if e.label == label and e.lang == lang)
                           for lang in ("de", "en")})

    topics = {
        topic_id: Topic(id=topic_id, title=Text(de=topic_id, en=topic_id), answer=Text(de="a", en="a"),
                        sources=(Source(title="s", url="https://example.org"),), reviewed=dt.date(2026, 1, 1),
                        examples=texts(topic_id))
        for topic_id in topic_ids
    }
    return Faq(areas=(), topics=topics, routes={route: texts(route) for route in ("smalltalk", "out_of_scope")})


async def test_after_an_edit_rasa_is_trained_switched_and_answers_the_new_topic(toy_embedded, tmp_path, pytestconfig):
    say = _progress(pytestconfig)
    rasa_executable = ensure_venv(say)  # only the set-up: the project FAQ's model is not needed here
    models = tmp_path / "models"
    before, after = toy_faq("status.tolerated"), toy_faq("status.tolerated", "funding.grant")
    first = ensure_model(build_export(before), rasa_executable, say, models)
    server = RasaServer(rasa_executable, first.path, free_port(), secrets.token_urlsafe(16), tmp_path / "serve.log")
    served = ServedModel(lambda model_file: model_labels(model_file, models))
    edited = build_export(after)
    rasa = RasaClassifier(
        RasaSettings(url=server.url, token=server.token, timeout_seconds=60, expected_model=edited.model_file),
        toy_embedded.labels, toy_embedded, served)
    follower = RasaFollower(server.url, server.token, served, train_in_cache(models))
    question = "is there a wage subsidy for us"
    with server:
        server.wait_ready(say)
        try:
            result = await rasa.classify(question)
            assert served.model_file == first.path.name and rasa.unknown_labels == {"funding.grant"}
            assert result.backend == "embedded" and result.top.label == "funding.grant"
            assert (await rasa.classify("can a tolerated person work")).backend == "rasa"

            follower.faq_changed(after)
            await follower.idle()
            assert follower.switches == 1, "see the log above"
            assert server.status()["model_file"] == edited.model_file and served.model_file == edited.model_file
            assert rasa.unknown_labels == frozenset()
            result = await rasa.classify(question)
            assert result.backend == "rasa" and result.top.label == "funding.grant"
            assert rasa.local_answers == 1
        finally:
            await follower.close()
            await rasa.close()
