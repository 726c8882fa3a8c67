"""The editors' check: the real FAQ passes; a broken file is named with its line and a fix."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.knowledge import FaqError, KnowledgeBase, check_settings, load_faq
from tests.conftest import ROOT


@pytest.fixture
def faq_copy(tmp_path, config) -> Path:
    target = tmp_path / "faq"
    shutil.copytree(config.resolve(config.faq.path), target)
    return target


def settings_for(config):
    return check_settings(config)


def errors_of(directory: Path, config) -> list:
    with pytest.raises(FaqError) as caught:
        load_faq(directory, settings_for(config))
    return [i for i in caught.value.issues if i.severity == "error"]


def replace_in(path: Path, old: str, new: str, count: int = 1) -> int:
    """Edit a file as an editor would; returns the 1-based line of the first change."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return line


def test_the_real_faq_loads_and_covers_every_required_topic(config):
    faq, warnings = load_faq(config.resolve(config.faq.path), settings_for(config))
    required = yaml.safe_load((ROOT / "faq" / "_required-topics.yml").read_text(encoding="utf-8"))["topics"]
    assert {t["id"] for t in required} <= set(faq.topics)
    assert {topic_id.split(".")[0] for topic_id in faq.topics} == {a.id for a in faq.areas}
    assert set(faq.routes) == {"authority", "coordinator", "out_of_scope", "smalltalk"}
    assert [w for w in warnings if w.severity == "error"] == []


def test_every_topic_answers_in_both_languages_with_sources_and_a_review_date(config):
    faq, _ = load_faq(config.resolve(config.faq.path), settings_for(config))
    for topic in faq.topics.values():
        assert topic.answer.de.strip() and topic.answer.en.strip(), topic.id
        assert len(topic.answer.de) <= 1500 and len(topic.answer.en) <= 1500, topic.id
        assert topic.sources and all(s.url.startswith("https://") for s in topic.sources), topic.id
        assert topic.reviewed <= dt.date.today(), topic.id
        assert len(topic.examples.de) >= 15 and len(topic.examples.en) >= 8, topic.id


def test_faq_check_command_passes_on_the_real_faq():
    result = subprocess.run([sys.executable, "-m", "bot", "faq", "check"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stdout


def test_yaml_syntax_error_names_file_and_line(faq_copy, config):
    cfg = config.model_copy(update={"faq": config.faq.model_copy(update={"path": faq_copy})})
    line = replace_in(
        faq_copy / "status.yml", "  - id: status.tolerated", "  - id: status.tolerated\n   bad: [unclosed"
    )
    errors = errors_of(faq_copy, cfg)
    assert len(errors) == 1
    assert errors[0].file.name == "status.yml"
    assert errors[0].line is not None and abs(errors[0].line - line) <= 2
    assert "YAML" in errors[0].message and errors[0].fix


def test_schema_errors_name_the_key_line_and_fix(faq_copy, config):
    cfg = config.model_copy(update={"faq": config.faq.model_copy(update={"path": faq_copy})})
    line = replace_in(faq_copy / "permit.yml", "    reviewed:", "    reviewd:")
    errors = errors_of(faq_copy, cfg)
    messages = [(e.file.name, e.line, e.message) for e in errors]
    assert any(f == "permit.yml" and ln == line and "reviewd" in m for f, ln, m in messages), messages
    assert any("reviewed" in m and "Field required" in m for _, _, m in messages), messages
    assert all(e.fix for e in errors)


def test_missing_required_topic_and_unknown_related_topic_are_errors(faq_copy, config):
    cfg = config.model_copy(update={"faq": config.faq.model_copy(update={"path": faq_copy})})
    replace_in(faq_copy / "bot.yml", "id: bot.help", "id: bot.helping")
    messages = [e.message for e in errors_of(faq_copy, cfg)]
    assert any("required topic 'bot.help' is missing" in m for m in messages), messages


def test_same_example_under_two_topics_is_an_error_with_its_line(faq_copy, config):
    cfg = config.model_copy(update={"faq": config.faq.model_copy(update={"path": faq_copy})})
    faq, _ = load_faq(faq_copy, settings_for(cfg))
    stolen = faq.topics["status.tolerated"].examples.de[0]
    text = (faq_copy / "funding.yml").read_text(encoding="utf-8")
    marker = "      de:\n"
    index = text.index("    examples:\n" + marker) + len("    examples:\n" + marker)
    line = text[:index].count("\n") + 1
    (faq_copy / "funding.yml").write_text(text[:index] + f"        - {stolen!r}\n" + text[index:], encoding="utf-8")
    errors = [e for e in errors_of(faq_copy, cfg) if "is an example of both" in e.message]
    assert len(errors) == 1
    places = {f"{errors[0].file.name}:{errors[0].line}"} | set(re.findall(r"\w+\.yml:\d+", errors[0].message))
    assert f"funding.yml:{line}" in places and any(p.startswith("status.yml:") for p in places)


def test_bad_link_future_date_and_unknown_placeholder_are_errors(faq_copy, config):
    cfg = config.model_copy(update={"faq": config.faq.model_copy(update={"path": faq_copy})})
    text = (faq_copy / "workplace.yml").read_text(encoding="utf-8")
    text = text.replace("url: https://", "url: www.", 1).replace("reviewed: 2026-11-22", "reviewed: 2099-01-01", 1)
    text = text.replace("      de: |\n", "      de: |\n        Fragen Sie {landrat}.\n", 1)
    (faq_copy / "workplace.yml").write_text(text, encoding="utf-8")
    messages = " | ".join(e.message for e in errors_of(faq_copy, cfg))
    assert "is not a web link" in messages
    assert "in the future" in messages
    assert "unknown placeholder {landrat}" in messages


def test_old_review_date_is_a_warning_not_an_error(faq_copy, config):
    cfg = config.model_copy(update={"faq": config.faq.model_copy(update={"path": faq_copy, "review_max_age_days": 30})})
    text = (faq_copy / "network.yml").read_text(encoding="utf-8")
    (faq_copy / "network.yml").write_text(
        text.replace("reviewed: 2026-11-22", "reviewed: 2025-01-01", 1), encoding="utf-8"
    )
    _, warnings = load_faq(faq_copy, check_settings(cfg))
    assert any("last reviewed 2025-01-01" in w.message and w.file.name == "network.yml" for w in warnings)


def test_faq_check_command_exits_1_and_prints_file_and_line(tmp_path, faq_copy, config):
    replace_in(faq_copy / "training.yml", "  - id: training.", "  - idd: training.")
    config_file = tmp_path / "config.yml"
    config_file.write_text(
        (ROOT / "config.yml")
        .read_text(encoding="utf-8")
        .replace("path: faq ", f"path: {faq_copy} ")
        .replace("required_topics: faq/", f"required_topics: {ROOT}/faq/"),
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config_file), "faq", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "training.yml:" in result.stdout and "how to fix" in result.stdout


async def test_a_broken_edit_never_replaces_the_last_good_faq(faq_copy, config):
    cfg = config.model_copy(update={"faq": config.faq.model_copy(update={"path": faq_copy})})
    from bot.app import classifier_factory

    knowledge = KnowledgeBase(cfg, classifier_factory(cfg))
    serving = knowledge.current
    (faq_copy / "status.yml").write_text("area: [this is: not valid\n", encoding="utf-8")
    assert await knowledge.reload_if_changed() is False
    assert knowledge.current is serving
    assert knowledge.last_error is not None and knowledge.last_error.issues[0].file.name == "status.yml"
    assert "status.tolerated" in knowledge.current.faq.topics

    shutil.copy(config.resolve(config.faq.path) / "status.yml", faq_copy / "status.yml")
    replace_in(faq_copy / "status.yml", "reviewed: 2026-11-22", "reviewed: 2026-11-21")
    assert await knowledge.reload_if_changed() is True
    assert knowledge.current is not serving
    assert any(t.reviewed.isoformat() == "2026-11-21" for t in knowledge.current.faq.topics.values())


async def test_a_running_core_picks_up_edits_by_itself(faq_copy, config):
    import asyncio

    from bot.app import build_core

    cfg = config.model_copy(update={"faq": config.faq.model_copy(update={"path": faq_copy, "reload_seconds": 0.05})})
    core = build_core(cfg)
    core.start()
    try:
        first = core.knowledge.current
        replace_in(faq_copy / "bot.yml", "reviewed: 2026-11-22", "reviewed: 2026-11-20")
        for _ in range(400):
            if core.knowledge.current is not first:
                break
            await asyncio.sleep(0.05)
        assert core.knowledge.current is not first
        assert any(t.reviewed.isoformat() == "2026-11-20" for t in core.knowledge.current.faq.topics.values())
    finally:
        await core.close()
    assert core._watcher is None
