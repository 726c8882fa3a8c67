"""`python -m bot.db upgrade|current|revision|downgrade`: the schema by hand, on the configured database."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from alembic import command
from alembic.util import CommandError

from bot.config import ConfigError, load_config
from bot.db.engine import default_url, ensure_sqlite_file, redacted
from bot.db.migrate import alembic_config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.db", description="Database schema migrations (Alembic).")
    parser.add_argument("--config", type=Path, help="configuration file (default: $LOTSE_CONFIG or config.yml)")
    verbs = parser.add_subparsers(dest="verb", required=True)
    verbs.add_parser("upgrade", help="migrate to the newest revision")
    verbs.add_parser("current", help="show the database's revision")
    down = verbs.add_parser("downgrade", help="go back to a revision (e.g. -1 or base)")
    down.add_argument("revision")
    revision = verbs.add_parser("revision", help="create a new migration file")
    revision.add_argument("-m", "--message", required=True)
    revision.add_argument("--autogenerate", action="store_true", help="compare bot/db/models.py with the database")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    url = config.database.url or default_url(config.base_dir)
    try:
        ensure_sqlite_file(url)
        alembic = alembic_config(url)
        if args.verb == "upgrade":
            command.upgrade(alembic, "head")
        elif args.verb == "current":
            command.current(alembic, verbose=True)
        elif args.verb == "downgrade":
            command.downgrade(alembic, args.revision)
        else:
            command.revision(alembic, message=args.message, autogenerate=args.autogenerate)
    except CommandError as exc:  # an unknown revision, a branch problem: Alembic's message says which
        print(f"migration error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # driver errors differ per database (refused, no such host, password): one line each
        print(f"database error: cannot use the database {redacted(url)}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
