"""Trained embedded models on disk, keyed by what they were trained on; training in a child process.

A bot whose FAQ did not change since the last start loads its model in a fraction of a second
instead of training it (docs/performance.md: start-up). When it must train, at start-up or after
an editor's change, a child process does it: scikit-learn, SciPy and the training's temporaries
(together well over 100 MiB) then never enter the serving process, which only reads the arrays.
Several processes may train the same model at once (a multi-process deployment starting): each
writes its own temporary file and renames it into place, so a reader never sees half a file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
import zipfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict
from importlib.metadata import version
from multiprocessing import get_context
from pathlib import Path

from nlu.model import FORMAT, EmbeddedModel, EmbeddedSettings
from nlu.types import TrainingExample

log = logging.getLogger(__name__)

KEPT_MODELS = 4  # older files in the cache are removed: each FAQ edit makes a new one


class TrainingFailed(RuntimeError):
    """The child process that trains died (killed, out of memory) before it could report."""


# The code that turns examples into parameters and features: a change to it (new features, field
# words) must retrain, though the FAQ stayed the same.
_TRAINING_CODE = ("embedded.py", "model.py", "terms.py", "text.py")


def model_key(examples: Sequence[TrainingExample], settings: EmbeddedSettings) -> str:
    """A hash of everything the trained parameters depend on: examples, settings, code, library versions."""
    digest = hashlib.sha256()
    versions = {name: version(name) for name in ("scikit-learn", "numpy", "scipy")}
    digest.update(json.dumps([FORMAT, versions, asdict(settings)], sort_keys=True).encode())
    for name in _TRAINING_CODE:
        digest.update((Path(__file__).parent / name).read_bytes())
    for example in examples:
        digest.update(json.dumps([example.label, example.lang, example.kind, example.text]).encode())
    return digest.hexdigest()[:24]


def _train(examples: Sequence[TrainingExample], settings: EmbeddedSettings, path: Path) -> float:
    """Runs in the child: only there is scikit-learn imported."""
    from nlu.embedded import train_to_file

    return train_to_file(examples, settings, path)


def _train_in_child(examples: Sequence[TrainingExample], settings: EmbeddedSettings, path: Path) -> float:
    # spawn, not fork: a fork would copy the serving process (its event loop, sockets, threads)
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        try:
            return pool.submit(_train, list(examples), settings, path).result()
        except BrokenProcessPool as exc:
            raise TrainingFailed("the training process died (out of memory?); see the system log") from exc


def _load(path: Path) -> EmbeddedModel | None:
    try:
        return EmbeddedModel.load(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:  # damaged or of another format
        log.warning("model cache: %s is unreadable (%s); training anew", path.name, exc)
        return None


def _prune(directory: Path, keep: Path) -> None:
    models = sorted(directory.glob("embedded-*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [p for p in models if p != keep][KEPT_MODELS - 1 :]:
        old.unlink(missing_ok=True)


def trained_model(
    examples: Sequence[TrainingExample], settings: EmbeddedSettings, cache: Path | None
) -> tuple[EmbeddedModel, bool]:
    """The model for these examples: from the cache if there, else trained in a child process.

    Args:
        cache: the folder of stored models (config `nlu.model_cache`); None stores nothing.

    Returns:
        The model, and whether it was trained now (False: loaded from the cache).
    """
    key = model_key(examples, settings)
    if cache is not None:
        path = cache / f"embedded-{key}.npz"
        if (model := _load(path)) is not None:
            log.info("embedded classifier loaded from the cache (%s)", path.name)
            return model, False
        cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as scratch:
        started = time.perf_counter()
        fresh = Path(scratch) / "model.npz"
        seconds = _train_in_child(examples, settings, fresh)
        model = EmbeddedModel.load(fresh)
        if cache is not None:
            os.replace(fresh, path)
            _prune(cache, path)
    log.info(
        "embedded classifier trained on %d examples in %.2f s (%.2f s with its process)",
        len(examples),
        seconds,
        time.perf_counter() - started,
    )
    return model, True
