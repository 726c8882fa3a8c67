"""`python -m bot faq check|show`: the editors' commands (faq/README.md)."""

from __future__ import annotations

import argparse
import time

from bot.config import Config
from bot.knowledge.library import load_network_faq
from bot.knowledge.loader import FaqError


def add_arguments(faq_commands) -> None:
    """The `faq` sub-commands, on the parser bot/cli.py makes."""
    check = faq_commands.add_parser(
        "check",
        help="validate all FAQ files (exit 1 on errors)",
        description="Validate every file in faq/: schema, ids, languages, lengths, links, review dates, "
        "legal basis and reviewer, law changes since the review (faq/_law-changes.yml), who decides, "
        "answers longer than a phone screen (faq.answer_budget_chars), duplicate examples. "
        "Exit 1 on errors.",
    )
    check.add_argument(
        "--strict",
        action="store_true",
        help="treat warnings as errors (every topic then needs legal_basis and reviewed_by)",
    )
    check.add_argument(
        "--routing",
        action="store_true",
        help="also cross-validate the classifier on the FAQ's examples and compare with the last "
        "good run (kept in var/faq-routing.json); exit 1 when a topic routes worse",
    )
    show = faq_commands.add_parser(
        "show",
        help="print a topic's answer exactly as a channel sends it",
        description="Print a topic's answer as sent: placeholders filled, steps, sources, footer, buttons.",
    )
    show.add_argument("topic", help="topic id, e.g. status.tolerated")
    show.add_argument("--lang", choices=("de", "en"), default="de")
    show.add_argument("--channel", choices=("terminal", "telegram", "whatsapp", "web"), default="terminal")
    show.add_argument("--district", default=None, help="in a network: as this district's chats get it (its overlay)")


def run(config: Config, args: argparse.Namespace) -> int:
    if args.faq_command == "show":
        return show(config, args.topic, args.lang, args.channel, args.district)
    return check(config, strict=args.strict, routing=getattr(args, "routing", False))


def check(config: Config, strict: bool = False, routing: bool = False) -> int:
    from bot.knowledge.editor_tools import budget_issues

    directory = config.resolve(config.faq.path)
    try:
        faq, warnings = load_network_faq(config)  # with the districts' overlays in a network
    except FaqError as exc:
        errors = sum(1 for i in exc.issues if i.severity == "error")
        for issue in exc.issues:
            print(issue)
        print(f"\n{errors} error(s), {len(exc.issues) - errors} warning(s) in {directory}")
        return 1
    warnings = warnings + budget_issues(config, faq)
    for issue in warnings:
        print(issue)
    examples = sum(len(t.examples.de) + len(t.examples.en) for t in faq.topics.values())
    print(
        f"{len(faq.topics)} topics in {len(faq.areas)} areas, {examples} topic examples, "
        f"{sum(len(r.de) + len(r.en) for r in faq.routes.values())} route examples: "
        f"{'OK' if not warnings else f'OK with {len(warnings)} warning(s)'}"
    )
    worse = False
    if routing:
        from bot.knowledge.routing_check import STATE_FILE, compare, cross_validate
        from nlu.embedded import EmbeddedSettings

        started = time.perf_counter()
        report = compare(
            cross_validate(faq, EmbeddedSettings(**config.nlu.embedded.model_dump())),
            config.resolve(config.faq.path).parent / "var" / STATE_FILE,
        )
        print("\n" + "\n".join(report.lines()) + f"\n({time.perf_counter() - started:.0f} s)")
        worse = bool(report.worse)
    return 1 if (strict and warnings) or worse else 0


def show(config: Config, topic_id: str, lang: str, channel: str, district: str | None = None) -> int:
    from bot.knowledge.editor_tools import render, reply_for

    try:
        faq, _ = load_network_faq(config)
    except FaqError as exc:
        print(f"the FAQ has errors, run `python -m bot faq check`: {exc}")
        return 1
    if topic_id not in faq.topics:
        close = [t for t in faq.topics if topic_id.split(".")[-1] in t]
        print(f"no topic '{topic_id}'" + (f"; did you mean: {', '.join(close)}" if close else ""))
        return 2
    if district is not None and district not in config.districts:
        print(
            f"no district '{district}' in the configuration"
            + (f"; it has {', '.join(config.districts)}" if config.districts else "")
        )
        return 2
    if not faq.available(topic_id, district or faq.local_to.get(topic_id)):
        print(f"'{topic_id}' is a local topic of {faq.local_to[topic_id]}, not of {district}")
        return 2
    print(render(reply_for(config, faq, topic_id, lang, district or faq.local_to.get(topic_id)), lang, channel))
    return 0
