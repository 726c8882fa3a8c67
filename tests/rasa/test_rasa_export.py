"""`python -m bot rasa export`: every label an intent, deterministic, and valid for Rasa itself."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
import yaml

from bot.knowledge import Faq
from bot.knowledge.model import Source, Text, TextList, Topic
from bot.rasa_tools import build_export, load_export
from bot.rasa_tools.process import rasa_environment
from nlu.text import fold
from nlu.types import ROUTE_LABELS


def small_faq(order: int = 1) -> Faq:
    """Two topics and the routes, built in code; `order` reverses insertion order."""
    def topic(topic_id: str, de: list[str], en: list[str]) -> Topic:
        return Topic(id=topic_id, title=Text(de=f"Titel {topic_id}", en=f"Title {topic_id}"), answer=Text(de="a", en="a"),
                     sources=(Source(title="s", url="https://example.org"),), reviewed=dt.date(2026, 1, 1),
                     examples=TextList(de=tuple(de[::order]), en=tuple(en[::order])))

    topics = [topic("status.tolerated", ["Darf er mit Duldung arbeiten?", "Beschäftigung mit Duldung"],
                    ["Can a tolerated person work?"]),
              topic("funding.grant", ["Gibt es einen Zuschuss?", "Lohnkostenzuschuss", "GIBT ES EINEN ZUSCHUSS"],
                    ["Is there a subsidy?"])][::order]
    routes = {"smalltalk": TextList(de=("Hallo", "Danke"), en=("Hello",)),
              "authority": TextList(de=("Wann bekommt Herr X seine Erlaubnis?",)),
              "coordinator": TextList(en=("Please call me back",)),
              "out_of_scope": TextList(de=("Wie wird das Wetter?",), en=("weather tomorrow",))}
    return Faq(areas=(), topics={t.id: t for t in topics}, routes=dict(list(routes.items())[::order]))


def test_every_topic_and_route_is_an_intent_with_folded_examples():
    export = build_export(small_faq())
    data = yaml.safe_load(export.nlu)
    assert data["version"] == "3.1"
    intents = {item["intent"]: item["examples"] for item in data["nlu"]}
    assert sorted(intents) == sorted(["status.tolerated", "funding.grant", *ROUTE_LABELS])
    grant = [line.removeprefix("- ") for line in intents["funding.grant"].splitlines()]
    # folded like the texts the bot sends; the upper-case repeat collapses into one example
    assert grant == ["gibt es einen zuschuss", "is there a subsidy", "lohnkostenzuschuss",
                     "titel funding grant", "title funding grant"]
    assert "- beschaftigung mit duldung" in intents["status.tolerated"]  # German and English both
    assert "- can a tolerated person work" in intents["status.tolerated"]
    assert export.intents == 6 and export.examples == sum(len(v.splitlines()) for v in intents.values())


def test_export_is_deterministic():
    one, two = build_export(small_faq()), build_export(small_faq(order=-1))
    assert one == two and one.digest == two.digest and len(one.digest) == 16
    assert one.model_file == f"{one.digest}.tar.gz"


def test_a_changed_faq_or_pipeline_changes_the_hash(tmp_path):
    faq = small_faq()
    pipeline = tmp_path / "pipeline.yml"
    pipeline.write_text(build_export(faq).config.replace("epochs:", "epochs: 1  # was"))
    assert build_export(faq, pipeline).digest != build_export(faq).digest
    pipeline.write_text(build_export(faq).config + "\n# a comment changes nothing\n")
    assert build_export(faq, pipeline).digest == build_export(faq).digest
    changed = Faq(areas=(), topics=faq.topics, routes={**faq.routes, "smalltalk": TextList(de=("Moin",))})
    assert build_export(changed).digest != build_export(faq).digest


def test_pipeline_downloads_nothing_and_has_a_fallback():
    names = [c["name"] for c in yaml.safe_load(build_export(small_faq()).config)["pipeline"]]
    assert names[0] == "WhitespaceTokenizer" and "DIETClassifier" in names and names[-1] == "FallbackClassifier"
    assert not {"SpacyNLP", "SpacyTokenizer", "LanguageModelFeaturizer", "ConveRTFeaturizer", "MitieNLP"} & set(names)


def test_the_project_faq_export_covers_every_label(config):
    faq, export = load_export(config)
    intents = {item["intent"] for item in yaml.safe_load(export.nlu)["nlu"]}
    assert intents == set(faq.topics) | set(ROUTE_LABELS)
    assert load_export(config)[1] == export  # same files on a second export


def test_cli_export_writes_both_files(tmp_path):
    from bot.cli import main

    assert main(["rasa", "export", str(tmp_path / "out")]) == 0
    nlu = (tmp_path / "out" / "nlu.yml").read_text()
    assert nlu.startswith("# Generated") and (tmp_path / "out" / "config.yml").exists()
    domain = yaml.safe_load((tmp_path / "out" / "domain.yml").read_text())
    assert domain["intents"] == [item["intent"] for item in yaml.safe_load(nlu)["nlu"]]
    texts = [line[6:] for line in nlu.splitlines() if line.startswith("    - ")]
    assert all(text == fold(text) for text in texts)


@pytest.mark.rasa
def test_rasa_data_validate_accepts_the_export(rasa_prepared, tmp_path):
    rasa_prepared.export.write(tmp_path)
    result = subprocess.run(
        [rasa_prepared.rasa, "data", "validate", "--data", "nlu.yml", "--config", "config.yml", "--domain", "domain.yml",
         "--fail-on-warnings"],
        cwd=tmp_path, env=rasa_environment(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Validating intents..." in result.stdout + result.stderr
