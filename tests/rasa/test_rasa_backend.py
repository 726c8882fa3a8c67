"""The bot with `nlu.backend: rasa`: configuration, composition, and answering while Rasa is down."""

from __future__ import annotations

import pytest

from bot.app import build_core
from bot.config import ConfigError, load_config, with_nlu_backend
from bot.messages import IncomingMessage, Kind
from nlu.fallback import FailoverClassifier
from tests.conftest import ROOT
from tests.rasa.conftest import core_with_rasa, rasa_config


def test_rasa_backend_needs_the_token_from_the_environment(tmp_path):
    with pytest.raises(ConfigError, match="LOTSE_RASA_TOKEN"):
        with_nlu_backend(load_config(ROOT / "config.yml", environ={}), "rasa")
    config = with_nlu_backend(load_config(ROOT / "config.yml", environ={"LOTSE_RASA_TOKEN": "abc"}), "rasa")
    assert config.nlu.backend == "rasa" and config.nlu.rasa.token.get_secret_value() == "abc"
    assert "abc" not in repr(config) and "abc" not in str(config.model_dump())

    leaked = tmp_path / "config.yml"
    leaked.write_text((ROOT / "config.yml").read_text().replace("    retry_seconds:", "    token: abc\n    retry_seconds:"))
    with pytest.raises(ConfigError, match="nlu.rasa.token"):
        load_config(leaked, environ={})


async def test_the_bot_keeps_answering_when_rasa_is_down(config, closed_port, caplog):
    core = build_core(rasa_config(config, f"http://127.0.0.1:{closed_port}"))
    classifier = core.knowledge.current.classifier
    assert isinstance(classifier, FailoverClassifier) and classifier.name == "rasa"
    try:
        topic = next(iter(core.knowledge.current.faq.topics.values()))
        for lang in ("de", "en"):
            replies = await core.dialogue.handle(IncomingMessage("test", "1", Kind.TEXT, text=topic.title.get(lang)))
            assert replies and replies[0].text
            understood = await core.dialogue.understand(topic.title.get(lang))
            assert understood.classification.backend == "embedded"
            assert understood.decision.faq_id == topic.id
        assert classifier.outages == 1 and classifier.fallback_messages == 4
        assert sum("classifying with the embedded model" in r.getMessage() for r in caplog.records) == 1
    finally:
        await core.close()


async def test_the_bot_asks_rasa_through_the_stand_in(shared_core, standin):
    core = core_with_rasa(shared_core, standin.url)
    try:
        faq_topics = list(core.knowledge.current.faq.topics)
        standin.ranking = [{"name": faq_topics[1], "confidence": 0.9}, {"name": faq_topics[0], "confidence": 0.1}]
        understood = await core.dialogue.understand("Eine Frage, die nur die Attrappe beantwortet")
        assert understood.classification.backend == "rasa"
        assert understood.decision.faq_id == faq_topics[1]
        assert standin.received == [{"text": "eine frage die nur die attrappe beantwortet"}]
    finally:
        await core.close()


async def test_classify_command_with_backend_rasa(standin, tmp_path):
    import asyncio
    import json
    import os
    import sys

    config = tmp_path / "config.yml"
    config.write_text((ROOT / "config.yml").read_text().replace("http://127.0.0.1:5005", standin.url)
                      .replace("path: faq", f"path: {ROOT / 'faq'}").replace("faq/_required", f"{ROOT}/faq/_required"))
    standin.ranking = [{"name": "smalltalk", "confidence": 0.97}, {"name": "out_of_scope", "confidence": 0.03}]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), "classify", "--backend", "rasa",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        cwd=ROOT, env={**os.environ, "LOTSE_RASA_TOKEN": "from-env"})
    out, err = await asyncio.wait_for(process.communicate("Moin zusammen\n/start\n".encode()), timeout=300)
    assert process.returncode == 0, err.decode()
    lines = [json.loads(line) for line in out.decode().splitlines()]
    assert [line["route"] for line in lines][0] == "smalltalk"
    assert standin.received == [{"text": "moin zusammen"}] and standin.tokens == ["from-env"]
