"""`python -m bot users add|passwd|disable|enable|teams|list`: the web console's accounts."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from bot.config import Config


def add_parser(commands) -> None:
    """Add the `users` command to the command line's sub-commands."""
    users = commands.add_parser(
        "users",
        help="web console accounts (add, passwd, disable, ...)",
        description="Accounts of the web console (docs/web.md). Passwords are asked for "
        "twice on the terminal, or read from stdin with --password-stdin.",
    )
    verbs = users.add_subparsers(dest="users_command", required=True, metavar="USERS_COMMAND")
    add = verbs.add_parser("add", help="create an account", description="Create an account for one or more teams.")
    add.add_argument("username")
    add.add_argument(
        "--team",
        action="append",
        default=[],
        dest="teams",
        help="a team of config.yml tickets.teams (repeat for several); in a network of districts "
        "<district>/<team>, or network for every district's statistics",
    )
    add.add_argument("--name", default="", help="the name shown to colleagues (default: the username)")
    add.add_argument("--editor", action="store_true", help="may see and export the FAQ suggestions")
    add.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    passwd = verbs.add_parser("passwd", help="set a new password (unlocks, ends its sessions)")
    passwd.add_argument("username")
    passwd.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    for verb, text in (("disable", "refuse further logins and end its sessions"), ("enable", "allow logins again")):
        verbs.add_parser(verb, help=text).add_argument("username")
    teams = verbs.add_parser("teams", help="set an account's teams")
    teams.add_argument("username")
    teams.add_argument("team", nargs="+")
    verbs.add_parser("list", help="list the accounts")


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def run(config: Config, args: argparse.Namespace) -> int:
    """Do one users command; returns the exit code."""
    try:
        password = _password(args) if args.users_command in ("add", "passwd") else ""
    except (ValueError, EOFError, KeyboardInterrupt) as exc:
        print(f"no password set: {exc or 'cancelled'}", file=sys.stderr)
        return 1
    return asyncio.run(_run(config, args, password))


async def _run(config: Config, args: argparse.Namespace, password: str) -> int:
    from bot.accounts.service import AccountError, Accounts
    from bot.db import open_database, prepare

    database = open_database(config)
    try:
        await prepare(database, migrate=config.database.migrate)
        accounts = Accounts(database, config.tickets.teams)
        verb = args.users_command
        if verb == "add":
            account = await accounts.add(args.username, password, args.teams, args.name, args.editor)
            print(
                f"added {account.username} ({', '.join(account.teams) or 'no team'}"
                f"{', editor' if account.editor else ''})"
            )
        elif verb == "passwd":
            await accounts.passwd(args.username, password)
            print(f"new password for {args.username}; its sessions have ended")
        elif verb == "disable":
            await accounts.disable(args.username)
            print(f"disabled {args.username}; its sessions have ended")
        elif verb == "enable":
            await accounts.enable(args.username)
            print(f"enabled {args.username}")
        elif verb == "teams":
            await accounts.set_teams(args.username, args.team)
            print(f"{args.username}: {', '.join(args.team)}")
        else:
            for row in await accounts.list():
                state = "disabled" if row.disabled else ("locked" if row.locked_until else "active")
                print(
                    f"{row.username:<20} {row.display_name:<28} {','.join(row.teams or []) or '-':<24} "
                    f"{'editor' if row.editor else '':<7} {state}"
                )
        return 0
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        await database.dispose()
