"""The editors' workflow: legal basis, law changes since the review, who decides, what the employer sees, routing."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.knowledge import FaqError, check_settings, load_faq
from bot.knowledge.editor_tools import answer_length, budget_issues, render, reply_for
from bot.knowledge.law_changes import LAW_CHANGES_FILE
from bot.knowledge.model import Area, AreaFile, Faq, RoutesFile
from bot.knowledge.norms import parse_norm
from bot.knowledge.routing_check import compare, cross_validate
from tests.conftest import FIXTURES, ROOT


@pytest.fixture
def faq_copy(tmp_path, config) -> Path:
    target = tmp_path / "faq"
    shutil.copytree(config.resolve(config.faq.path), target)
    return target


def settings(config, faq_dir: Path | None = None, today: dt.date = dt.date(2026, 12, 31)):
    cfg = (
        config
        if faq_dir is None
        else config.model_copy(update={"faq": config.faq.model_copy(update={"path": faq_dir})})
    )
    return dataclasses.replace(check_settings(cfg), today=today)


def write_changes(faq_dir: Path, changes: list[dict]) -> None:
    (faq_dir / LAW_CHANGES_FILE).write_text(yaml.safe_dump({"changes": changes}, allow_unicode=True), encoding="utf-8")


def stale(warnings) -> dict[str, str]:
    return {w.message.split(":")[0]: w.message for w in warnings if w.kind == "stale_law"}


def line_of_text(path: Path, text: str) -> int:
    content = path.read_text(encoding="utf-8")
    assert text in content, text
    return content[: content.index(text)].count("\n") + 1


# -- law changes after the review -----------------------------------------------------------------------------


def test_a_change_after_the_review_warns_naming_it_and_one_before_does_not(faq_copy, config):
    write_changes(
        faq_copy,
        [
            {
                "date": dt.date(2026, 11, 25),
                "norms": ["AufenthG § 60a Abs. 6"],
                "summary": "ban on work extended",
                "source": "BGBl. test",
            },
            {
                "date": dt.date(2026, 11, 1),
                "norms": ["AsylG § 61"],
                "summary": "an older change",
                "source": "BGBl. old",
            },
        ],
    )
    faq, warnings = load_faq(faq_copy, settings(config, faq_copy))
    found = stale(warnings)
    # permit.internship rests on AufenthG § 60a and was reviewed on 22 Nov, before the change
    assert faq.topics["permit.internship"].reviewed == dt.date(2026, 11, 22)
    assert "permit.internship" in found and "ban on work extended" in found["permit.internship"]
    assert "2026-11-25" in found["permit.internship"] and "BGBl. test" in found["permit.internship"]
    # status.tolerated rests on it too, but was reviewed on 1 Dec, after the change
    assert faq.topics["status.tolerated"].reviewed == dt.date(2026, 12, 1) and "status.tolerated" not in found
    # the AsylG § 61 change predates every review
    assert not any("an older change" in m for m in found.values())
    where = next(w for w in warnings if w.kind == "stale_law" and w.message.startswith("permit.internship"))
    assert where.file.name == "permit.yml"
    assert where.line == line_of_text(faq_copy / "permit.yml", "    reviewed: 2026-11-22\n    legal_basis: [MiLoG § 22")


def test_a_change_dated_in_the_future_warns_from_its_day_and_a_planned_one_never(faq_copy, config):
    write_changes(
        faq_copy,
        [
            {"date": dt.date(2027, 1, 1), "norms": ["MiLoG § 1"], "summary": "minimum wage €14.60", "source": "MiLoV5"},
            {"planned": True, "norms": ["BeschV § 26"], "summary": "quota cut", "source": "announced"},
        ],
    )
    _, before = load_faq(faq_copy, settings(config, faq_copy, today=dt.date(2026, 12, 31)))
    _, after = load_faq(faq_copy, settings(config, faq_copy, today=dt.date(2027, 1, 2)))
    assert "workplace.labour_law" not in stale(before)
    assert "minimum wage €14.60" in stale(after)["workplace.labour_law"]
    assert not any("quota cut" in m for m in stale(after).values())


def test_the_real_law_changes_file_is_valid_and_names_the_yearly_figures(config):
    changes = yaml.safe_load((ROOT / "faq" / LAW_CHANGES_FILE).read_text(encoding="utf-8"))["changes"]
    summaries = " | ".join(c["summary"] for c in changes)
    assert "Blue Card €50,700" in summaries and "minimum wage €13.90" in summaries
    assert any(c.get("planned") and "BeschV § 26" in c["norms"] for c in changes)  # the Western Balkans quota cut
    faq, warnings = load_faq(config.resolve(config.faq.path), settings(config, today=dt.date(2026, 12, 31)))
    assert stale(warnings) == {}
    _, later = load_faq(config.resolve(config.faq.path), settings(config, today=dt.date(2027, 1, 1)))
    assert set(stale(later)) == {t.id for t in faq.topics.values() if "MiLoG § 1" in (t.legal_basis or ())}


def test_a_broken_law_changes_file_names_file_and_line(faq_copy, config):
    (faq_copy / LAW_CHANGES_FILE).write_text(
        "changes:\n  - date: 2026-01-01\n    norms: [AufenthG § 4a]\n    summary: fine\n    source: x\n"
        "  - date: 2026-02-01\n    norms: [Aufenthaltsgesetz 4a]\n    summary: broken\n    source: x\n",
        encoding="utf-8",
    )
    with pytest.raises(FaqError) as caught:
        load_faq(faq_copy, settings(config, faq_copy))
    [error] = [i for i in caught.value.issues if i.severity == "error"]
    assert error.file.name == LAW_CHANGES_FILE and error.line == 7 and "Aufenthaltsgesetz 4a" in error.message


# -- legal basis ---------------------------------------------------------------------------------------------


def test_broken_legal_basis_entries_give_file_line_and_a_fix(faq_copy, config):
    path = faq_copy / "workplace.yml"
    text = path.read_text(encoding="utf-8")
    good = "legal_basis: [MiLoG § 1, MiLoG § 22,"
    line = line_of_text(path, good)
    path.write_text(text.replace(good, "legal_basis: [MiLoG 1, Mindestlohngesetz § 22,", 1), encoding="utf-8")
    with pytest.raises(FaqError) as caught:
        load_faq(faq_copy, settings(config, faq_copy))
    errors = [i for i in caught.value.issues if i.severity == "error"]
    assert len(errors) == 2
    assert all(e.file.name == "workplace.yml" and e.line == line and "AufenthG § 60a" in e.fix for e in errors)
    assert any("'MiLoG 1' is not a norm" in e.message for e in errors)
    assert any("unknown law 'Mindestlohngesetz'" in e.message for e in errors)


def test_norms_are_parsed_and_linked_to_the_law_texts():
    assert parse_norm("AufenthG § 60a").url == "https://www.gesetze-im-internet.de/aufenthg_2004/__60a.html"
    assert parse_norm("SGB III § 421").url == "https://www.gesetze-im-internet.de/sgb_3/__421.html"
    assert parse_norm("AsylG § 61 Abs. 2").key == ("AsylG", "61")
    assert str(parse_norm("DSGVO Art. 17")) == "DSGVO Art. 17"
    for bad in ("§ 60a AufenthG", "AufenthG 60a", "AufenthG Art. 3", "DSGVO § 17", "XYZ § 1"):
        with pytest.raises(ValueError):
            parse_norm(bad)


def test_a_topic_without_sources_links_its_legal_basis(config):
    faq, _ = load_faq(config.resolve(config.faq.path), settings(config))
    privacy = faq.topics["bot.privacy"]
    assert privacy.legal_basis == ("DSGVO Art. 17",)
    assert [s.url for s in privacy.sources] == ["https://eur-lex.europa.eu/eli/reg/2016/679/oj"]


def test_missing_reviewed_by_is_a_warning_that_strict_turns_into_a_failure(faq_copy, config):
    path = faq_copy / "bot.yml"
    text = path.read_text(encoding="utf-8")
    start = text.index("    reviewed_by:", text.index("id: bot.help"))
    path.write_text(text[:start] + text[text.index("\n", start) + 1 :], encoding="utf-8")
    _, warnings = load_faq(faq_copy, settings(config, faq_copy))
    assert [w.message for w in warnings] == ["bot.help: no 'reviewed_by:'"]


# -- who decides -----------------------------------------------------------------------------------------------


def test_individual_case_naming_another_body_than_the_text_warns(faq_copy, config):
    path = faq_copy / "funding.yml"
    text = path.read_text(encoding="utf-8")
    marker = "        - Amount and duration are fixed at the start in monthly amounts.\n    individual_case: none"
    line = line_of_text(path, marker) + 1
    path.write_text(text.replace(marker, marker.replace("none", "coordinator")), encoding="utf-8")
    _, warnings = load_faq(faq_copy, settings(config, faq_copy))
    [warning] = [w for w in warnings if "individual_case" in w.message]
    assert warning.file.name == "funding.yml" and warning.line == line
    assert "funding.integration_grant: individual_case is 'coordinator'" in warning.message
    assert "employment agency or Jobcenter" in warning.message


def test_ihk_and_hwk_contacts_and_the_generic_chamber(config):
    values = config.contacts.placeholders("de")
    assert "IHK" in values["chamber_ihk"] and "Handwerkskammer" in values["chamber_hwk"]
    assert "ihk-fosa" not in values["chamber"]
    without = config.contacts.model_copy(update={"chamber_ihk": None, "chamber_hwk": None})
    assert without.placeholders("en")["chamber_hwk"] == without.placeholders("en")["chamber"]


# -- what the employer sees ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_faq(config) -> Faq:
    return load_faq(config.resolve(config.faq.path), check_settings(config))[0]


def test_faq_show_renders_each_channel_as_sent(config, real_faq):
    reply = reply_for(config, real_faq, "permit.application", "de")
    phone = config.contacts.authority.phone
    terminal = render(reply, "de", "terminal")
    assert terminal.startswith("BESCHÄFTIGUNGSERLAUBNIS BEANTRAGEN") and phone in terminal
    assert "So geht's:" in terminal and "  1. " in terminal and "Quellen:" in terminal and "Stand: " in terminal
    assert "[1] " in terminal and "Person fragen" in terminal
    telegram = render(reply, "de", "telegram")
    assert telegram.startswith("<b>Beschäftigungserlaubnis beantragen</b>") and '<a href="https://' in telegram
    assert "<i>Stand: " in telegram and "[Person fragen]" in telegram and "{authority}" not in telegram
    whatsapp = render(reply, "de", "whatsapp")
    assert whatsapp.startswith("*Beschäftigungserlaubnis beantragen*") and "*So geht's*" in whatsapp
    assert "_Stand: " in whatsapp and "- § 61 AsylG (Erwerbstätigkeit): https://" in whatsapp and phone in whatsapp
    web = json.loads(render(reply, "de", "web"))
    assert web["title"] == "Beschäftigungserlaubnis beantragen" and phone in web["text"]
    assert web["steps"] and web["links"] and web["footer"].startswith("Stand: ")
    assert ["faq:" in b["payload"] for row in web["buttons"] for b in row][:1] == [True]


def test_faq_show_command_prints_the_english_whatsapp_answer():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "faq",
            "show",
            "training.entry_qualification",
            "--lang",
            "en",
            "--channel",
            "whatsapp",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("*Entry qualification")
    assert "For the subsidy, ask the Employer Service" in result.stdout  # no sentence starts with a lower-case name
    unknown = subprocess.run(
        [sys.executable, "-m", "bot", "faq", "show", "status.nope"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert unknown.returncode == 2 and "no topic 'status.nope'" in unknown.stdout


def test_an_answer_over_the_phone_budget_warns_with_its_length(config, real_faq):
    tight = config.model_copy(update={"faq": config.faq.model_copy(update={"answer_budget_chars": 500})})
    issues = budget_issues(tight, real_faq)
    length = answer_length(reply_for(tight, real_faq, "permit.application", "de"))
    assert length > 500
    assert any(
        i.message
        == f"permit.application: the de answer as sent (text and steps) has {length} characters "
        "(budget 500, faq.answer_budget_chars)"
        and i.file.name == "permit.yml"
        for i in issues
    )


def test_the_real_faq_passes_the_strict_check(config, real_faq):
    """No warning at all, on a date given by the data (the newest review), so the test does not age."""
    newest = max(t.reviewed for t in real_faq.topics.values())
    _, warnings = load_faq(config.resolve(config.faq.path), settings(config, today=newest))
    assert [str(w) for w in warnings + budget_issues(config, real_faq)] == []
    assert all(t.legal_basis is not None and t.reviewed_by for t in real_faq.topics.values())


# -- routing --------------------------------------------------------------------------------------------------


def fixture_faq(directory: Path) -> Faq:
    """The small FAQ in tests/fixtures/faq_routing, read without the editorial minimums of `faq check`."""
    area = AreaFile.model_validate(yaml.safe_load((directory / "demo.yml").read_text(encoding="utf-8")))
    routes = RoutesFile.model_validate(yaml.safe_load((directory / "routes.yml").read_text(encoding="utf-8")))
    return Faq(
        areas=(Area(area.area.id, area.area.title, tuple(t.id for t in area.topics)),),
        topics={t.id: t for t in area.topics},
        routes={r.id: r.examples for r in routes.routes},
    )


def test_routing_lists_the_confusable_pair_and_names_an_edit_that_made_it_worse(tmp_path):
    source = FIXTURES / "faq_routing"
    report = cross_validate(fixture_faq(source))
    pairs = {(a, b): example for a, b, _, example in report.pairs()}
    assert ("demo.minijob", "demo.casual_job") in pairs or ("demo.casual_job", "demo.minijob") in pairs
    assert report.recall["demo.blue_card"] == 1.0
    example = pairs.get(("demo.minijob", "demo.casual_job")) or pairs[("demo.casual_job", "demo.minijob")]
    assert example in " ".join(report.lines())
    state = tmp_path / "var" / "faq-routing.json"
    assert compare(report, state).worse == [] and state.exists()  # the first run becomes the last good one

    edited = tmp_path / "faq"
    shutil.copytree(source, edited)
    text = (edited / "demo.yml").read_text(encoding="utf-8")
    # an editor pastes Blue Card questions into the language course topic
    text = text.replace(
        "berufssprachkurs neben der arbeit, deutschkurs für mitarbeiter",
        "blaue karte gehalt für informatiker, mindestgehalt blaue karte eu, blaue karte für it leute",
    )
    text = text.replace(
        "job-related german course, german course for employees",
        "blue card salary for it people, eu blue card minimum salary 2026",
    )
    (edited / "demo.yml").write_text(text, encoding="utf-8")
    worse = compare(cross_validate(fixture_faq(edited)), state)
    [line] = [line for line in worse.worse if line.startswith("WORSE: demo.language_course:")]
    assert "now taken by demo.blue_card" in line
    assert line.endswith("edited since the last good run: demo.language_course")
    assert json.loads(state.read_text(encoding="utf-8"))["recall"]["demo.blue_card"] == 1.0  # still the good run
