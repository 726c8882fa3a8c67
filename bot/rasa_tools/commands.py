"""`python -m bot rasa export|setup|train|serve`."""

from __future__ import annotations

import argparse
import secrets
import signal
import sys
import urllib.parse
from pathlib import Path

from bot.config import RASA_TOKEN_ENV, Config
from bot.knowledge import FaqError
from bot.rasa_tools import RasaServer, RasaToolError, ensure_venv, load_export, prepare
from bot.rasa_tools.export import ROOT


def add_parser(commands) -> None:
    rasa = commands.add_parser(
        "rasa",
        help="Rasa as the classifier: export, setup, train, serve (docs/rasa.md)",
        description="Rasa NLU as a separate service. `serve` sets up and trains first when needed.",
    )
    verbs = rasa.add_subparsers(dest="rasa_command", required=True, metavar="RASA_COMMAND")
    export = verbs.add_parser("export", help="write nlu.yml and config.yml for Rasa from faq/*.yml")
    export.add_argument("directory", type=Path)
    setup = verbs.add_parser("setup", help="create .venv-rasa (Python 3.10, rasa 3.6.21; ~3 min, 2.7 GB)")
    setup.add_argument(
        "--freeze",
        action="store_true",
        help="install without constraints and write rasa/constraints.txt from the result",
    )
    verbs.add_parser("train", help="set up if needed, train unless var/rasa/models has this FAQ's model")
    serve = verbs.add_parser(
        "serve",
        help="set up and train if needed, then serve on 127.0.0.1 until Ctrl-C",
        description=f"Serves the FAQ's model with the token in ${RASA_TOKEN_ENV} "
        "(a new one is made and printed when it is unset).",
    )
    serve.add_argument("--port", type=int, help="default: the port of nlu.rasa.url in config.yml")


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def run(config: Config, args: argparse.Namespace) -> int:
    try:
        if args.rasa_command == "export":
            _, export = load_export(config)
            export.write(args.directory)
            print(
                f"wrote {args.directory}/nlu.yml ({export.intents} intents, {export.examples} examples) "
                f"and config.yml; model hash {export.digest}"
            )
            return 0
        if args.rasa_command == "setup":
            print(ensure_venv(_progress, freeze=args.freeze))
            return 0
        prepared = prepare(config, _progress)
        if args.rasa_command == "train":
            print(prepared.model.path)
            return 0
        return _serve(config, prepared.rasa, prepared.model.path, args.port)
    except FaqError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        print(
            "the FAQ has errors; Rasa is trained only from a FAQ that passes `python -m bot faq check`", file=sys.stderr
        )
        return 1
    except RasaToolError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _serve(config: Config, rasa: Path, model: Path, port: int | None) -> int:
    url = urllib.parse.urlsplit(config.nlu.rasa.url)
    if url.hostname not in ("127.0.0.1", "localhost"):
        print(f"nlu.rasa.url is {config.nlu.rasa.url}: `rasa serve` only serves on 127.0.0.1", file=sys.stderr)
        return 2
    token = config.nlu.rasa.token.get_secret_value() if config.nlu.rasa.token else None
    if not token:
        token = secrets.token_urlsafe(24)
        _progress(f"{RASA_TOKEN_ENV} is not set; this server's token: export {RASA_TOKEN_ENV}={token}")
    server = RasaServer(rasa, model, port or url.port or 5005, token)
    _progress(
        f"starting rasa on {server.url} with {model.relative_to(ROOT)} "
        f"(loading takes ~30 s, ~1 GB memory; log: {server.log})"
    )
    # Rasa runs in its own session (so that stop() can end all of it): stop it when this command
    # is interrupted (Ctrl-C) or told to stop (SIGTERM), even if started with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    with server:
        try:
            seconds = server.wait_ready(_progress)
            _progress(f"Rasa is ready after {seconds:.0f} s on {server.url}; Ctrl-C stops it")
            return server.wait()
        except KeyboardInterrupt:
            _progress("stopping rasa")
            return 0
