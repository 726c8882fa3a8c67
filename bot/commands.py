"""What each command line verb does; the entry point turns return values into exit codes."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TextIO

import yaml

from bot.app import build_core
from bot.config import Config
from bot.evaluate import KINDS, load_cases
from bot.evaluate import evaluate as run_evaluation
from bot.knowledge import FaqError
from bot.text_input import clean_text


def _faq_failed(exc: FaqError) -> int:
    for issue in exc.issues:
        print(issue, file=sys.stderr)
    print("the FAQ has errors; fix them and run the check again", file=sys.stderr)
    return 1


def faq_check(config: Config, strict: bool = False) -> int:
    """`faq check`, kept for callers of this module; the editors' commands live in bot/knowledge/editor_cli.py."""
    from bot.knowledge.editor_cli import check

    return check(config, strict=strict)


async def classify(config: Config, stdin: TextIO, stdout: TextIO) -> int:
    try:
        core = build_core(config)
    except FaqError as exc:
        return _faq_failed(exc)
    try:
        for line in stdin:
            text = line.rstrip("\n")
            # what the channels do at their input edge first (bot/text_input.py): the decision printed is the bot's
            understood = await core.dialogue.understand(clean_text(text))
            d = understood.decision
            stdout.write(
                json.dumps(
                    {
                        "text": text,
                        "lang": understood.lang,
                        "route": d.route.value,
                        "faq_id": d.faq_id,
                        "confidence": round(d.confidence, 4),
                        "candidates": [{"faq_id": c.label, "confidence": round(c.confidence, 4)} for c in d.candidates],
                        "reason": d.reason,
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
            stdout.flush()
    finally:
        await core.close()
    return 0


async def evaluate(config: Config, args) -> int:
    try:
        cases = load_cases(args.file)
    except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError) as exc:
        print(f"cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    try:
        core = build_core(config)
    except FaqError as exc:
        return _faq_failed(exc)
    report = await run_evaluation(core.dialogue, cases)
    await core.close()
    fallbacks = getattr(core.knowledge.current.classifier, "fallback_messages", 0)
    if fallbacks:  # the numbers below are then partly the embedded model's
        print(
            f"warning: Rasa was unavailable; the embedded model classified {fallbacks} of {len(cases)} questions",
            file=sys.stderr,
        )
    if args.errors:
        for o in report.outcomes:
            if not o.correct:
                print(f"  {o.case.expect:<38} got {o.route:<12} {o.faq_id or ','.join(o.candidates)}  | {o.case.text}")
    print("\n".join(report.lines()))
    print("\n".join(report.confusion_lines(everything=getattr(args, "confusion_all", False))))
    if getattr(args, "by_language", False):
        print("\n".join(report.group_lines("language", lambda o: o.case.lang or "?")))
    if getattr(args, "by_kind", False):
        print("\n".join(report.group_lines("kind", lambda o: o.case.kind, KINDS)))
    failures = []
    checks = [
        (args.min_correct, report.correct, "correct", lambda v, lim: v >= lim),
        (args.max_wrong, report.wrong, "wrong answers", lambda v, lim: v <= lim),
        (args.max_clarify, report.clarify, "clarify rate", lambda v, lim: v <= lim),
        (
            args.min_handover_recall,
            report.recall("authority", "coordinator"),
            "hand-over recall",
            lambda v, lim: v >= lim,
        ),
        (args.min_out_of_scope_recall, report.recall("out_of_scope"), "out_of_scope recall", lambda v, lim: v >= lim),
    ]
    for limit, value, name, ok in checks:
        if limit is not None and (value is None or not ok(value, limit)):
            failures.append(f"{name} {value if value is None else f'{value:.3f}'} misses the limit {limit}")
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


async def run(config: Config, *, terminal: bool, serve_http: bool = True) -> int:
    """`run`: the runtime with the configured channels; `chat`: the terminal chat alone (no server)."""
    from bot.serve import serve  # imports the platforms' libraries only for this command

    try:
        return await serve(config, terminal=terminal, serve_http=serve_http)
    except FaqError as exc:
        return _faq_failed(exc)


def tickets(config: Config, args) -> int:
    """`python -m bot tickets ...`: the queue from a shell (bot/tickets/cli.py)."""
    from bot.tickets.cli import run

    return asyncio.run(run(config, args))
