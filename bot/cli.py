"""Command line: `python -m bot run|chat|classify|evaluate|faq check|faq show`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from bot.config import ConfigError, load_config, with_nlu_backend

log = logging.getLogger("bot")

DESCRIPTION = """Lotse: a chatbot that answers employers' questions about hiring refugees and
migrants from a curated FAQ, and hands individual cases to people."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=DESCRIPTION)
    parser.add_argument("--config", type=Path, help="configuration file (default: $LOTSE_CONFIG or config.yml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser(
        "run",
        help="start the bot: web chat and console, plus Telegram/WhatsApp when their tokens "
        "are set, plus the terminal chat when started in a terminal",
        description="Start one runtime (database, FAQ, classifier, tickets) and plug in the "
        "configured channels: the web chat (/chat/) and the coordinators' console "
        "(/console/) on LOTSE_LISTEN (default http://127.0.0.1:8080) with /healthz and "
        "/metrics; Telegram when TELEGRAM_BOT_TOKEN is set (webhook when "
        "TELEGRAM_WEBHOOK_URL is set, else polling); WhatsApp when WHATSAPP_ACCESS_TOKEN "
        "is set; and, when standard input is a terminal, the terminal chat (/quit or "
        "Ctrl+C stops everything).",
    )
    commands.add_parser(
        "chat",
        help="chat with Lotse in this terminal",
        description="The employer's conversation in the terminal. Numbers press buttons; /quit ends.",
    )
    classify = commands.add_parser(
        "classify",
        help="classify questions from stdin, one JSON line each",
        description="Reads one question per line on stdin and writes one JSON object per line on stdout: "
        "text, lang, route, faq_id, confidence, candidates, reason.",
    )
    classify.add_argument("--backend", choices=("embedded", "rasa"), help="override nlu.backend of config.yml")
    evaluate = commands.add_parser(
        "evaluate",
        help="measure routing on a labelled question file",
        description="Prints correct rate, wrong-answer rate, clarify rate, route recalls, the most confused pairs "
        "and a confusion table (gold label -> where its misrouted questions went) for a file in the "
        "format of shared/eval/dev.yml. Exits 1 when a --min/--max is missed.",
    )
    evaluate.add_argument("file", type=Path, help="YAML list of {text, lang, expect}")
    evaluate.add_argument("--min-correct", type=float, help="fail below this correct rate")
    evaluate.add_argument("--max-wrong", type=float, help="fail above this wrong-answer rate")
    evaluate.add_argument("--max-clarify", type=float, help="fail above this clarify rate")
    evaluate.add_argument("--min-handover-recall", type=float, help="fail below this authority+coordinator recall")
    evaluate.add_argument("--min-out-of-scope-recall", type=float, help="fail below this out_of_scope recall")
    evaluate.add_argument("--errors", action="store_true", help="list every question routed wrongly")
    evaluate.add_argument("--by-language", action="store_true", help="figures per language of the questions")
    evaluate.add_argument(
        "--by-kind",
        action="store_true",
        help="figures per kind: topic, authority, coordinator, out_of_scope, smalltalk",
    )
    evaluate.add_argument(
        "--confusion-all",
        action="store_true",
        help="list every gold label in the confusion table, also those always routed right",
    )
    evaluate.add_argument("--backend", choices=("embedded", "rasa"), help="override nlu.backend of config.yml")

    faq = commands.add_parser("faq", help="editors' tools for faq/*.yml", description="Editors' tools for faq/*.yml.")
    faq_commands = faq.add_subparsers(dest="faq_command", required=True, metavar="FAQ_COMMAND")
    from bot.knowledge.editor_cli import add_arguments as add_faq_arguments

    add_faq_arguments(faq_commands)

    from bot.rasa_tools.commands import add_parser as add_rasa_parser

    add_rasa_parser(commands)

    from bot.accounts.cli import add_parser as add_users_parser

    add_users_parser(commands)

    from bot.tickets.cli import add_parser as add_tickets_parser

    add_tickets_parser(commands)

    from bot.districts.cli import add_parser as add_districts_parser

    add_districts_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        config = load_config(args.config)
        if getattr(args, "backend", None):
            config = with_nlu_backend(config, args.backend)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    from bot.db import DatabaseError  # after logging is set up; keeps --help fast

    try:
        return _dispatch(args, config)
    except BrokenPipeError:
        # `python -m bot classify < questions | head`: the reader left, so end quietly like a Unix
        # filter. Not by SIGPIPE's default action: that would also kill a server whose client hangs up.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 128 + signal.SIGPIPE
    except DatabaseError as exc:  # unreachable, or an old schema with migrate off: one message, no traceback
        print(f"database error: {exc}", file=sys.stderr)
        return 1


def _serve(main) -> int:
    """Run a long-running server coroutine on uvloop where it is installed (not on Windows).

    uvloop's event loop costs less CPU per network event and per wake-up from a thread
    (aiosqlite) than asyncio's own (docs/performance.md).
    """
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def _dispatch(args: argparse.Namespace, config) -> int:
    from bot import commands

    if args.command == "faq":
        from bot.knowledge.editor_cli import run as faq_command

        return faq_command(config, args)
    if args.command == "rasa":
        from bot.rasa_tools.commands import run as rasa_command

        return rasa_command(config, args)
    if args.command == "classify":
        return asyncio.run(commands.classify(config, sys.stdin, sys.stdout))
    if args.command == "evaluate":
        return asyncio.run(commands.evaluate(config, args))
    if args.command == "tickets":
        return commands.tickets(config, args)
    if args.command == "users":
        from bot.accounts.cli import run as users_command

        return users_command(config, args)
    if args.command == "districts":
        from bot.districts.cli import run as districts_command

        return districts_command(config, args)
    if args.command == "run":  # the configured channels; the terminal chat too when started in a terminal
        return _serve(commands.run(config, terminal=sys.stdin.isatty()))
    return _serve(commands.run(config, terminal=True, serve_http=False))  # chat
