"""Rasa as a separate service: export the FAQ, set up .venv-rasa, train (cached), serve on 127.0.0.1.

`python -m bot rasa export|setup|train|serve` calls these; so do the tests' set-up and the
benchmark, so that all of them use one model cache (var/rasa/models/<hash>.tar.gz).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.config import Config
from bot.knowledge import Faq
from bot.knowledge.library import load_network_faq
from bot.rasa_tools.export import RASA_VERSION, Export, build_export
from bot.rasa_tools.model import Model, ensure_model
from bot.rasa_tools.process import VAR, Progress, RasaToolError
from bot.rasa_tools.server import RasaServer, free_port
from bot.rasa_tools.venv import ensure_venv

__all__ = [
    "RASA_VERSION",
    "VAR",
    "Export",
    "Model",
    "Prepared",
    "RasaServer",
    "RasaToolError",
    "build_export",
    "ensure_model",
    "ensure_venv",
    "free_port",
    "load_export",
    "prepare",
]


def load_export(config: Config) -> tuple[Faq, Export]:
    """The FAQ (checked as the bot checks it) and its Rasa export.

    Raises:
        FaqError: the FAQ has errors.
    """
    faq, _ = load_network_faq(config)  # a network's local topics are intents too
    return faq, build_export(faq)


@dataclass(frozen=True)
class Prepared:
    rasa: Path
    faq: Faq
    export: Export
    model: Model


def prepare(config: Config, progress: Progress) -> Prepared:
    """Set up .venv-rasa if needed and train the FAQ's model if it is not cached."""
    faq, export = load_export(config)
    rasa = ensure_venv(progress)
    return Prepared(rasa, faq, export, ensure_model(export, rasa, progress))
