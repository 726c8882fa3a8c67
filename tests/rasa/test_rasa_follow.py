"""Rasa follows FAQ edits: a new topic is answered at once, Rasa is trained and switched in the background.

Against the stand-in Rasa (fast): the trainer is a stand-in too, and `PUT /model` only changes what
the stand-in's `/status` names. tests/rasa/test_rasa_follow_real.py does the same with a real server.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import threading
from pathlib import Path

import pytest

from bot.app import build_core
from bot.messages import IncomingMessage, Kind
from bot.metrics import RASA_MODEL_SWITCHES
from bot.rasa_tools.export import Export, build_export
from bot.rasa_tools.follow import RasaFollower
from nlu.rasa import ServedModel
from tests.rasa.conftest import rasa_config

NEW_TOPIC = "zebra.fund"
NEW_TOPIC_QUESTION = "Wie bekomme ich Geld aus dem Zebrafonds?"


def new_topic_yaml() -> str:
    """A topic an editor adds: made-up words, so that no existing topic could claim its questions."""
    de = [f"{verb} den Zebrafonds {thing}" for verb in ("beantragen", "erklären", "finden")
          for thing in ("für Betriebe", "für Lehrlinge", "im Landkreis", "online", "schnell")]
    en = [f"{verb} the zebra fund {thing}" for verb in ("apply for", "explain") for thing in
          ("for companies", "for apprentices", "in the district", "online")]
    lines = ["area:", "  id: zebra", "  title:", "    de: Zebrafonds (Test)", "    en: Zebra fund (test)", "topics:",
             f"  - id: {NEW_TOPIC}", "    terms: [Zebrafonds]",
             "    title:", "      de: Der Zebrafonds", "      en: The zebra fund",
             "    answer:", "      de: Der Zebrafonds ist ein Thema nur für diesen Test.",
             "      en: The zebra fund is a topic of this test only.",
             "    individual_case: none", "    reviewed: 2026-11-22", "    legal_basis: []",
             "    sources:", "      - title: Test", "        url: https://example.org/zebra",
             "    examples:", "      de:", *(f"        - {q}" for q in de), "      en:", *(f"        - {q}" for q in en)]
    return "\n".join(lines) + "\n"


@pytest.fixture
def faq_copy(tmp_path, config) -> Path:
    copy = tmp_path / "faq"
    shutil.copytree(config.resolve(config.faq.path), copy)
    return copy


def follow_config(config, faq: Path, url: str):
    config = rasa_config(config, url)
    return config.model_copy(update={"faq": config.faq.model_copy(update={"path": faq, "reload_seconds": 0})})


class StandInTrainer:
    """Trains nothing: writes an empty `<hash>.tar.gz` (the stand-in Rasa only reads its name)."""

    def __init__(self, models: Path):
        self.models = models
        self.trained: list[str] = []
        self.release = threading.Event()
        self.release.set()

    def __call__(self, export: Export, stop: threading.Event) -> Path:
        self.release.wait(timeout=30)
        self.trained.append(export.model_file)
        self.models.mkdir(exist_ok=True)
        path = self.models / export.model_file
        path.write_bytes(b"")
        return path


async def test_a_new_topic_is_answered_at_once_and_rasa_is_switched_after_training(
    config, faq_copy, standin, tmp_path, caplog
):
    caplog.set_level(logging.INFO, logger="bot.rasa_tools.follow")
    cfg = follow_config(config, faq_copy, standin.url)
    core = build_core(cfg)
    trainer = StandInTrainer(tmp_path / "models")
    core.follower = RasaFollower(standin.url, "s3cret", core.follower.served, trainer)
    old_topic = next(iter(core.knowledge.current.faq.topics))
    standin.model_file = build_export(core.knowledge.current.faq).model_file  # Rasa serves the FAQ as it was
    standin.ranking = [{"name": old_topic, "confidence": 0.9}, {"name": "smalltalk", "confidence": 0.1}]
    switched_before = RASA_MODEL_SWITCHES.labels("ok")._value.get()
    try:
        core.start()
        await core.follower.idle()
        assert trainer.trained == [] and core.follower.switches == 0  # it serves this FAQ's model already

        trainer.release.clear()  # the training of the edited FAQ takes until the test says so
        (faq_copy / "zebra.yml").write_text(new_topic_yaml(), encoding="utf-8")
        assert await core.knowledge.reload_if_changed() is True
        classifier = core.knowledge.current.classifier

        understood = await core.dialogue.understand(NEW_TOPIC_QUESTION)
        assert understood.classification.backend == "embedded", "Rasa's model does not know the new topic yet"
        assert understood.decision.faq_id == NEW_TOPIC
        replies = await core.dialogue.handle(IncomingMessage("test", "1", Kind.TEXT, text=NEW_TOPIC_QUESTION))
        assert "Zebrafonds" in replies[0].text
        assert classifier.primary.local_answers == 2 and standin.received == []
        # a question on a topic the served model knows still goes to Rasa
        understood = await core.dialogue.understand("Eine Frage, die Rasa beantwortet")
        assert understood.classification.backend == "rasa" and len(standin.received) == 1
        assert classifier.primary.unknown_labels == {NEW_TOPIC}

        trainer.release.set()
        await core.follower.idle()
        new_model = build_export(core.knowledge.current.faq).model_file
        assert trainer.trained == [new_model] and standin.model_file == new_model
        assert core.follower.switches == 1 and RASA_MODEL_SWITCHES.labels("ok")._value.get() == switched_before + 1
        assert f"Rasa switched to model {new_model}" in caplog.text

        standin.ranking = [{"name": NEW_TOPIC, "confidence": 0.95}, {"name": old_topic, "confidence": 0.05}]
        understood = await core.dialogue.understand(NEW_TOPIC_QUESTION)
        assert understood.classification.backend == "rasa" and understood.decision.faq_id == NEW_TOPIC
        assert classifier.primary.unknown_labels == frozenset()
    finally:
        await core.close()


def tiny_export(*labels: str) -> Export:
    nlu = "\n".join(f"- intent: {label}\n  examples: |\n    - {label} question" for label in labels)
    return Export(nlu=f'version: "3.1"\nnlu:\n{nlu}\n', config="pipeline: []\n", intents=len(labels), examples=1)


async def test_edits_during_a_training_queue_one_more_run_for_the_newest_faq(standin, tmp_path):
    trainer = StandInTrainer(tmp_path / "models")
    follower = RasaFollower(standin.url, "s3cret", ServedModel(), trainer)
    first, second, third = tiny_export("a"), tiny_export("a", "b"), tiny_export("a", "b", "c")
    try:
        trainer.release.clear()
        follower.follow(first)
        while not follower.training:
            await asyncio.sleep(0.01)
        follower.follow(second)  # both edits arrive while the first training runs
        follower.follow(third)
        trainer.release.set()
        await follower.idle()
    finally:
        await follower.close()
    assert trainer.trained == [first.model_file, third.model_file]
    assert standin.model_file == third.model_file and follower.served.labels == {"a", "b", "c"}
    assert standin.loads == [str(tmp_path / "models" / first.model_file), str(tmp_path / "models" / third.model_file)]


async def test_a_failed_load_is_logged_and_counted_and_rasa_keeps_its_model(standin, tmp_path, caplog):
    standin.mode = "error"
    failed_before = RASA_MODEL_SWITCHES.labels("failed")._value.get()
    follower = RasaFollower(standin.url, "s3cret", ServedModel(), StandInTrainer(tmp_path / "models"))
    try:
        follower.follow(tiny_export("a"))
        await follower.idle()
    finally:
        await follower.close()
    assert standin.model_file == "standin.tar.gz" and follower.switches == 0
    assert RASA_MODEL_SWITCHES.labels("failed")._value.get() == failed_before + 1
    assert "Rasa keeps serving" in caplog.text and "HTTP 500" in caplog.text


def test_a_models_labels_come_from_its_metadata_or_its_archive(tmp_path):
    import io
    import json
    import tarfile

    from bot.rasa_tools.model import model_labels

    (tmp_path / "aaaa.json").write_text(json.dumps({"training_seconds": 1, "labels": ["smalltalk", "x.y"]}))
    assert model_labels("aaaa.tar.gz", tmp_path) == {"smalltalk", "x.y"}
    # a model cached before the metadata listed its labels: DIET's mapping inside the archive (as Rasa 3.6 writes it)
    mapping = json.dumps({"0": "funding.grant", "1": "smalltalk"}).encode()
    with tarfile.open(tmp_path / "bbbb.tar.gz", "w:gz") as archive:
        member = tarfile.TarInfo("components/train_DIETClassifier3/DIETClassifier.index_label_id_mapping.json")
        member.size = len(mapping)
        archive.addfile(member, io.BytesIO(mapping))
    (tmp_path / "bbbb.json").write_text(json.dumps({"training_seconds": 1}))
    assert model_labels("bbbb.tar.gz", tmp_path) == {"funding.grant", "smalltalk"}
    assert model_labels("cccc.tar.gz", tmp_path) is None  # trained elsewhere: not known


async def test_two_processes_that_trained_the_same_model_load_it_once(standin, tmp_path):
    """Two followers stand for two bot processes behind one Rasa server: each trains (the cache would give the
    second the first's model), but only the first tells Rasa to load it; the second finds it served."""
    standin.load_seconds = 0.5  # Rasa is busy loading for a while
    models = tmp_path / "models"
    one = RasaFollower(standin.url, "s3cret", ServedModel(), StandInTrainer(models))
    two = RasaFollower(standin.url, "s3cret", ServedModel(), StandInTrainer(models))
    export = tiny_export("a", "b")
    try:
        one.follow(export)
        two.follow(export)
        await asyncio.gather(one.idle(), two.idle())
    finally:
        await one.close()
        await two.close()
    assert len(standin.loads) == 1 and one.switches + two.switches == 1
    assert one.served.model_file == two.served.model_file == export.model_file
    assert one.served.labels == two.served.labels == {"a", "b"}
