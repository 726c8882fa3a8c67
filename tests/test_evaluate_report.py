"""`python -m bot evaluate`: the confusion table and the figures per language and per kind."""

from __future__ import annotations

from bot.cli import main
from bot.evaluate import Case, Outcome, Report
from tests.conftest import ROOT


def outcome(expect: str, route: str, faq_id: str | None = None, candidates=(), lang: str = "de") -> Outcome:
    return Outcome(Case("frage", lang, expect), route, faq_id, tuple(candidates), lang)


REPORT = Report(
    [
        outcome("status.tolerated", "answer", "status.tolerated"),
        outcome("status.tolerated", "answer", "funding.trial_work"),  # wrong answer
        outcome("status.tolerated", "clarify", None, ["funding.trial_work", "status.tolerated"]),  # offered: right
        outcome("status.tolerated", "clarify", None, ["funding.trial_work"], lang="en"),  # not offered
        outcome("route:out_of_scope", "clarify", None, ["permit.internship"], lang="en"),
        outcome("route:out_of_scope", "out_of_scope", lang="en"),
        outcome("route:authority", "authority"),
    ],
    seconds=0.07,
)


def test_the_confusion_table_says_where_each_gold_labels_questions_went():
    confusion = REPORT.confusion()
    assert list(confusion) == ["route:authority", "route:out_of_scope", "status.tolerated"]
    assert confusion["status.tolerated"] == {
        "status.tolerated": 1,
        "funding.trial_work": 1,
        "clarify (offered)": 1,
        "clarify (not offered)": 1,
    }
    assert confusion["route:out_of_scope"] == {"clarify": 1, "out_of_scope": 1}
    lines = REPORT.confusion_lines()
    assert lines[0].startswith("confusion (gold label -> where the misrouted went")
    rows = {line.split()[0]: line for line in lines[2:]}
    assert set(rows) == {"route:out_of_scope", "status.tolerated"}  # authority was always right: left out
    assert rows["status.tolerated"].split()[1:3] == ["4", "0.50"]
    assert rows["status.tolerated"].endswith("funding.trial_work x 1, clarify (not offered) x 1")
    assert rows["route:out_of_scope"].endswith("clarify x 1")
    assert any(line.split()[0] == "route:authority" for line in REPORT.confusion_lines(everything=True)[2:])


def test_figures_per_language_and_per_kind():
    by_language = REPORT.group_lines("language", lambda o: o.case.lang)
    assert by_language[0] == "by language:"
    assert by_language[2].split() == ["de", "4", "0.750", "0.250", "0.250"]
    assert by_language[3].split() == ["en", "3", "0.333", "0.000", "0.667"]
    by_kind = REPORT.group_lines("kind", lambda o: o.case.kind, ("topic", "authority", "coordinator", "out_of_scope"))
    assert [line.split()[0] for line in by_kind[2:]] == ["topic", "authority", "out_of_scope"]
    assert by_kind[4].split() == ["out_of_scope", "2", "0.500", "0.000", "0.500"]


def test_the_cli_prints_confusion_and_both_breakdowns(tmp_path, capsys):
    questions = tmp_path / "questions.yml"
    questions.write_text(
        "- {text: 'Darf jemand mit Duldung bei uns arbeiten?', lang: de, expect: status.tolerated}\n"
        "- {text: 'How do I register my car?', lang: en, expect: route:out_of_scope}\n"
        "- {text: Hallo, lang: de, expect: route:smalltalk}\n"
        "- {text: 'Wie wird das Wetter morgen?', lang: de, expect: status.tolerated}\n",
        encoding="utf-8",
    )
    code = main(
        [
            "--config",
            str(ROOT / "config.yml"),
            "evaluate",
            str(questions),
            "--by-language",
            "--by-kind",
            "--min-correct",
            "0.9",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1 and "FAIL: correct 0.750 misses the limit 0.9" in out
    assert "questions:          4" in out and "recall out_of_scope:1.000" in out  # the existing summary stays
    assert "  status.tolerated                          2   0.50  out_of_scope x 1" in out
    assert "by language:" in out and "\n  en                1    1.000" in out
    assert "by kind:" in out and "\n  smalltalk         1    1.000" in out


def test_a_question_file_with_a_bad_item_names_the_item_and_the_format(tmp_path, capsys):
    """Found in the QA pass: a missing `expect` printed only "cannot read FILE: 'expect'"."""
    questions = tmp_path / "questions.yml"
    questions.write_text("- {text: Hallo, lang: de, expect: route:smalltalk}\n- {text: 'Darf er arbeiten?'}\n")
    assert main(["--config", str(ROOT / "config.yml"), "evaluate", str(questions)]) == 2
    err = capsys.readouterr().err
    assert f"cannot read {questions}: item 2 has no expect (each item: {{text, lang, expect}})" in err

    questions.write_text("text: Hallo\n")
    assert main(["--config", str(ROOT / "config.yml"), "evaluate", str(questions)]) == 2
    assert "expected a YAML list of {text, lang, expect}" in capsys.readouterr().err
