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
from bot.knowledge import FaqError, check_settings, load_faq


def _faq_failed(exc: FaqError) -> int:
    for issue in exc.issues:
        print(issue, file=sys.stderr)
    print("the FAQ has errors; fix them and run the check again", file=sys.stderr)
    return 1


def faq_check(config: Config, strict: bool = False) -> int:
    directory = config.resolve(config.faq.path)
    try:
        faq, warnings = load_faq(directory, check_settings(config))
    except FaqError as exc:
        errors = sum(1 for i in exc.issues if i.severity == "error")
        for issue in exc.issues:
            print(issue)
        print(f"\n{errors} error(s), {len(exc.issues) - errors} warning(s) in {directory}")
        return 1
    for issue in warnings:
        print(issue)
    examples = sum(len(t.examples.de) + len(t.examples.en) for t in faq.topics.values())
    print(f"{len(faq.topics)} topics in {len(faq.areas)} areas, {examples} topic examples, "
          f"{sum(len(r.de) + len(r.en) for r in faq.routes.values())} route examples: "
          f"{'OK' if not warnings else f'OK with {len(warnings)} warning(s)'}")
    return 1 if strict and warnings else 0


async def classify(config: Config, stdin: TextIO, stdout: TextIO) -> int:
    try:
        core = build_core(config)
    except FaqError as exc:
        return _faq_failed(exc)
    try:
        for line in stdin:
            text = line.rstrip("\n")
            understood = await core.dialogue.understand(text)
            d = understood.decision
            stdout.write(json.dumps({
                "text": text,
                "lang": understood.lang,
                "route": d.route.value,
                "faq_id": d.faq_id,
                "confidence": round(d.confidence, 4),
                "candidates": [{"faq_id": c.label, "confidence": round(c.confidence, 4)} for c in d.candidates],
                "reason": d.reason,
            }, ensure_ascii=False) + "\n")
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
        print(f"warning: Rasa was unavailable; the embedded model classified {fallbacks} of {len(cases)} questions",
              file=sys.stderr)
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
        (args.min_handover_recall, report.recall("authority", "coordinator"), "hand-over recall", lambda v, lim: v >= lim),
        (args.min_out_of_scope_recall, report.recall("out_of_scope"), "out_of_scope recall", lambda v, lim: v >= lim),
    ]
    for limit, value, name, ok in checks:
        if limit is not None and (value is None or not ok(value, limit)):
            failures.append(f"{name} {value if value is None else f'{value:.3f}'} misses the limit {limit}")
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


async def chat(config: Config) -> int:
    """The terminal chat, on the configured database, with real tickets (docs/tickets.md)."""
    from bot.db import Database, DbChatStore, prepare
    from bot.retention import keep_purging
    from bot.tickets.desk import TicketDesk
    from handlers.terminal import TerminalChannel, TerminalSender

    async with Database.for_config(config) as database:
        await prepare(database, migrate=config.database.migrate)
        try:
            core = build_core(config, DbChatStore(database))
        except FaqError as exc:
            return _faq_failed(exc)
        core.start()
        channel = TerminalChannel(core.dialogue)
        desk = None
        if config.tickets.enabled:  # hand-overs open tickets; the teams' answers print as they arrive
            desk = TicketDesk.build(database, config, {"terminal": TerminalSender(channel)})
            core.dialogue.attach_handover(desk.handover)
            desk.start()
        purging = asyncio.create_task(keep_purging(database, config.retention), name="retention")
        try:
            await channel.run()
        finally:
            purging.cancel()
            if desk is not None:
                await desk.stop()
            await core.close()
    return 0


def tickets(config: Config, args) -> int:
    """`python -m bot tickets ...`: the queue from a shell (bot/tickets/cli.py)."""
    from bot.tickets.cli import run

    return asyncio.run(run(config, args))


async def run_telegram(config: Config) -> int:
    """The Telegram bot: polling, or webhook when TELEGRAM_WEBHOOK_URL is set (docs/telegram.md)."""
    from bot.telegram_app import run  # imports PTB and SQLAlchemy only for this command

    try:
        return await run(config)
    except FaqError as exc:
        return _faq_failed(exc)


async def run_web(config: Config) -> int:
    """Without Telegram: the web chat and the console (docs/web.md), and in a terminal also the terminal chat."""
    from handlers.web.server import run  # imports aiohttp-jinja2 and SQLAlchemy only for this command

    try:
        if not sys.stdin.isatty():  # a service manager or a pipe: only the web server
            return await run(config)
        stop = asyncio.Event()
        server = asyncio.create_task(run(config, stop), name="web")
        await asyncio.sleep(0)  # let the server print its addresses before the chat's greeting
        chatted = await chat(config)
        stop.set()
        served = await server
        return served or chatted
    except FaqError as exc:
        return _faq_failed(exc)
