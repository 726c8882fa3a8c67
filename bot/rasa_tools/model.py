"""Trained Rasa models, cached by the hash of their training data and pipeline."""

from __future__ import annotations

import json
import shutil
import tarfile
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from bot.rasa_tools.export import Export
from bot.rasa_tools.process import VAR, Progress, RasaToolError, exclusive, rasa_environment, run_logged

MODELS = VAR / "models"
KEEP_MODELS = 3


@dataclass(frozen=True)
class Model:
    path: Path
    training_seconds: float
    cached: bool


def cached_model(export: Export, models: Path = MODELS) -> Model | None:
    path = models / export.model_file
    if not path.exists():
        return None
    try:
        seconds = float(json.loads(path.with_suffix("").with_suffix(".json").read_text())["training_seconds"])
    except (OSError, ValueError, KeyError):
        seconds = float("nan")
    return Model(path, seconds, cached=True)


def model_labels(model_file: str, models: Path = MODELS) -> frozenset[str] | None:
    """The intents a cached model was trained on: from its metadata, else (a model trained before the
    metadata listed them) from DIET's label mapping in the archive; None for a model not in the cache."""
    try:
        meta = json.loads((models / model_file.removesuffix(".tar.gz")).with_suffix(".json").read_text())
        return frozenset(str(label) for label in meta["labels"])
    except (OSError, ValueError, KeyError, TypeError):
        return labels_in_archive(models / Path(model_file).name)


def labels_in_archive(path: Path) -> frozenset[str] | None:
    """The intents in a Rasa 3.6 model archive (its DIETClassifier's index-to-label mapping)."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            for member in archive:  # the mapping comes before the large TensorFlow files
                if member.name.endswith("DIETClassifier.index_label_id_mapping.json"):
                    handle = archive.extractfile(member)
                    return frozenset(str(label) for label in json.load(handle).values()) if handle else None
    except (OSError, tarfile.TarError, ValueError, AttributeError):
        return None
    return None


def ensure_model(
    export: Export, rasa: Path, progress: Progress, models: Path = MODELS, stop: threading.Event | None = None
) -> Model:
    """Train a model for this export unless one with the same hash exists.

    Args:
        stop: set it to end a training (or the wait for another process's) early: Stopped is raised.

    Returns:
        The model file `<hash>.tar.gz` and how long its training took (read back when cached).

    Raises:
        RasaToolError: training failed; the message ends with Rasa's log.
    """
    with exclusive(f"train-{export.digest}", progress, f"training {export.model_file}", stop):
        found = cached_model(export, models)
        if found:
            progress(f"model {found.path.name} is up to date (trained in {found.training_seconds:.0f} s)")
            return found
        return _train(export, rasa, progress, models, stop)


def _train(export: Export, rasa: Path, progress: Progress, models: Path, stop: threading.Event | None) -> Model:
    (VAR / "build").mkdir(parents=True, exist_ok=True)
    log = VAR / "logs" / f"train-{export.digest}.log"
    with tempfile.TemporaryDirectory(prefix=f"{export.digest}-", dir=VAR / "build") as build:
        export.write(Path(build))
        progress(
            f"training {export.model_file}: {export.intents} intents, {export.examples} examples "
            f"(a few minutes on 2 cores; log: {log})"
        )
        # cwd in var/: Rasa writes .rasa/ into its working directory
        seconds = run_logged(
            [
                rasa,
                "train",
                "nlu",
                "--config",
                "config.yml",
                "--nlu",
                "nlu.yml",
                "--out",
                "out",
                "--fixed-model-name",
                export.digest,
            ],
            log,
            progress,
            what="training",
            cwd=Path(build),
            env=rasa_environment(),
            heartbeat=30,
            stop=stop,
        )
        trained = Path(build) / "out" / export.model_file
        if not trained.exists():
            raise RasaToolError(f"rasa train finished but wrote no {trained}")
        models.mkdir(parents=True, exist_ok=True)
        target = models / export.model_file
        (models / f"{export.digest}.json").write_text(
            json.dumps(
                {
                    "training_seconds": round(seconds, 1),
                    "intents": export.intents,
                    "examples": export.examples,
                    "labels": list(export.labels),
                }
            )
            + "\n"
        )
        shutil.move(trained, target)  # last, so a model file always has its metadata
    progress(f"trained {target.name} in {seconds:.0f} s")
    _prune(models, keep=KEEP_MODELS)
    return Model(target, seconds, cached=False)


def _prune(models: Path, keep: int) -> None:
    """Delete all but the newest `keep` models (each is ~50 MB; every FAQ edit makes a new one)."""
    newest_first = sorted(models.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in newest_first[keep:]:
        digest = old.name.removesuffix(".tar.gz")
        for leftover in (
            old,
            models / f"{digest}.json",
            VAR / "logs" / f"train-{digest}.log",
            VAR / "locks" / f"train-{digest}.lock",
        ):
            leftover.unlink(missing_ok=True)
