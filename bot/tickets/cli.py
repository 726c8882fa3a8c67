"""`python -m bot tickets list|show|claim|answer|handover|close`: the queue from a shell.

For operators and pilots without a staff group: it acts as a staff member of every team (the
shell is trusted), writes through the same service, and the outbox delivers to the employer
(the terminal chat prints it; Telegram employers get it from the running bot).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from bot.config import Config
from bot.db import open_database, prepare
from bot.text_input import parse_id


def ticket_number(raw: str) -> int:
    """A ticket number as argparse reads it: bounded like every id from outside (bot/text_input.py)."""
    number = parse_id(raw)
    if number is None:
        raise argparse.ArgumentTypeError(f"{raw[:24]!r} is no ticket number")
    return number


def add_parser(commands) -> None:
    tickets = commands.add_parser(
        "tickets",
        help="the ticket queue from the shell (docs/tickets.md)",
        description="List and work on tickets as a staff member of every team.",
    )
    tickets.add_argument("--name", default=getpass.getuser(), help="who acts (audit trail); default: your login")
    verbs = tickets.add_subparsers(dest="tickets_command", required=True, metavar="VERB")
    listing = verbs.add_parser("list", help="tickets, newest first")
    listing.add_argument("--status", choices=("open", "claimed", "answered", "closed"))
    for verb, text in (
        ("show", "one ticket with its messages and audit trail"),
        ("claim", "take a ticket"),
        ("close", "close a ticket"),
    ):
        verbs.add_parser(verb, help=text).add_argument("number", type=ticket_number)
    answer = verbs.add_parser("answer", help="answer the employer (signed with the team's name)")
    answer.add_argument("number", type=ticket_number)
    answer.add_argument("text")
    handover = verbs.add_parser("handover", help="give a ticket to another team")
    handover.add_argument("number", type=ticket_number)
    handover.add_argument("team")
    handover.add_argument("--note", default="")


async def run(config: Config, args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from bot.tickets.models import Ticket
    from bot.tickets.service import Actor, TicketError, TicketService

    async with open_database(config) as database:
        await prepare(database, migrate=config.database.migrate)
        service = TicketService(database, config)
        actor = Actor("staff", f"cli:{args.name}", args.name, tuple(config.tickets.teams))
        verb = args.tickets_command
        try:
            if verb == "list":
                async with database.transaction() as session:
                    query = select(Ticket).order_by(Ticket.id.desc()).limit(100)
                    if args.status:
                        query = query.where(Ticket.status == args.status)
                    for k in (await session.execute(query)).scalars():
                        print(
                            f"#{k.id:<5} {k.team:<12} {k.status:<9} {k.created_at:%Y-%m-%d %H:%M}  "
                            f"{k.company[:24]:<24} {k.question[:60]}"
                        )
            elif verb == "show":
                k = await service.get(args.number)
                print(
                    f"#{k.id} {k.team} {k.status} · {k.company} · {k.contact_method} {k.contact_value or ''}\n"
                    f"{k.question}\n"
                )
                for m in await service.messages(k.id):
                    print(f"  {m.created_at:%Y-%m-%d %H:%M} {m.author:<8} {m.text}")
                for e in await service.events(k.id):
                    print(f"  {e.at:%Y-%m-%d %H:%M} {e.actor:<24} {e.action} {e.from_status or ''}→{e.to_status or ''}")
            elif verb == "claim":
                await service.claim(args.number, actor)
            elif verb == "answer":
                await service.answer(args.number, actor, args.text)
            elif verb == "handover":
                await service.hand_over(args.number, actor, args.team, note=args.note)
            elif verb == "close":
                await service.close(args.number, actor)
        except TicketError as exc:
            print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
    if verb not in ("list", "show"):
        print(f"ticket #{args.number}: {verb} done; the outbox delivers the messages")
    return 0
