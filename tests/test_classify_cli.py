"""`python -m bot classify`: one JSON object per input line, same order, a stable contract."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

ROUTES = {"answer", "clarify", "authority", "coordinator", "out_of_scope", "smalltalk"}


def classify(*lines: str) -> list[dict]:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "classify"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        input="".join(f"{line}\n" for line in lines),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_one_json_object_per_line_in_order_with_every_field():
    questions = ["Darf jemand mit Duldung bei uns arbeiten?", "Hello!", "Wie melde ich mein Auto um?", ""]
    out = classify(*questions)
    assert [o["text"] for o in out] == questions
    for o in out:
        assert set(o) == {"text", "lang", "route", "faq_id", "confidence", "candidates", "reason"}
        assert o["lang"] in ("de", "en")
        assert o["route"] in ROUTES
        assert isinstance(o["confidence"], float) and 0 <= o["confidence"] <= 1
        assert isinstance(o["reason"], str) and o["reason"]
        for c in o["candidates"]:
            assert set(c) == {"faq_id", "confidence"} and "." in c["faq_id"]
    assert out[1]["route"] == "smalltalk" and out[1]["lang"] == "en"
    assert out[2]["route"] == "out_of_scope"
    assert out[3]["route"] == "clarify" and out[3]["candidates"] == []  # empty line: nothing to classify


def test_a_line_with_control_characters_is_decided_as_the_bot_decides_it():
    """Found in the QA pass: classify read "Du\\x00ldung" as two words, the channels (which drop NUL) as Duldung."""
    raw, cleaned = classify(
        "Darf jemand mit Du\x00ld\x07ung\x1b bei uns arbeiten?", "Darf jemand mit Duldung bei uns arbeiten?"
    )
    assert raw["text"] == "Darf jemand mit Du\x00ld\x07ung\x1b bei uns arbeiten?"  # the line as it came
    assert {k: v for k, v in raw.items() if k != "text"} == {k: v for k, v in cleaned.items() if k != "text"}


def test_answer_carries_its_topic_and_clarify_its_candidates():
    (answered,) = classify("Was ist eine Beschäftigungsduldung und welche Voraussetzungen gelten?")
    assert answered["route"] == "answer", answered["reason"]
    assert answered["faq_id"] == "training.employment_toleration"
    assert answered["candidates"][0]["faq_id"] == "training.employment_toleration"


def test_a_reader_that_leaves_early_ends_classify_quietly():
    """`python -m bot classify < questions | head -1`: no traceback when head stops reading."""
    shell = f"yes 'Darf jemand mit Duldung bei uns arbeiten?' | head -2000 | {sys.executable} -m bot classify | head -1"
    result = subprocess.run(["bash", "-c", shell], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert json.loads(result.stdout)["faq_id"] == "status.tolerated"
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr, result.stderr


def test_commands_leave_sigpipe_ignored(tmp_path):
    """Python ignores SIGPIPE so that a write to a closed socket is an error, not the process's death;
    the command line must not undo that (a server would die whenever a client hung up)."""
    import signal

    from bot.cli import main

    assert main(["faq", "check"]) in (0, 1)
    assert signal.getsignal(signal.SIGPIPE) is signal.SIG_IGN
