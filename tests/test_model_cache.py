"""The trained model on disk: an unchanged FAQ starts without training, and training happens elsewhere.

A serving process must not hold scikit-learn: it trains in a child process and reads arrays.
"""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

from nlu.model import EmbeddedModel, EmbeddedSettings
from nlu.model_cache import KEPT_MODELS, model_key, trained_model
from nlu.types import TrainingExample
from tests.conftest import ROOT

TOY = [
    TrainingExample(text, label, lang)
    for label, lang, texts in (
        ("a.tolerated", "de", ("Darf ein Geduldeter arbeiten", "Duldung und Arbeit", "Geduldete einstellen")),
        ("a.blue_card", "de", ("Blaue Karte Gehalt", "Gehaltsgrenze Blaue Karte", "Blue Card beantragen")),
        ("out_of_scope", "en", ("weather tomorrow", "football results", "pizza delivery please")),
    )
    for text in texts
]
SETTINGS = EmbeddedSettings(calibration_folds=2)


def test_a_model_is_trained_once_then_loaded(tmp_path, caplog):
    caplog.set_level(logging.INFO, "nlu.model_cache")
    first, trained = trained_model(TOY, SETTINGS, tmp_path)
    assert trained and list(tmp_path.glob("embedded-*.npz"))
    again, trained_again = trained_model(TOY, SETTINGS, tmp_path)
    assert not trained_again and "loaded from the cache" in caplog.text
    for text in ("Geduldeter im Lager?", "Blue Card", "weather"):
        assert again.classify_sync(text) == first.classify_sync(text)


def test_another_faq_or_setting_is_another_model(tmp_path):
    trained_model(TOY, SETTINGS, tmp_path)
    edited = TOY + [TrainingExample("Chancenkarte Punkte", "a.blue_card", "de")]
    assert model_key(edited, SETTINGS) != model_key(TOY, SETTINGS)
    assert model_key(TOY, EmbeddedSettings(calibration_folds=3)) != model_key(TOY, SETTINGS)
    _, trained = trained_model(edited, SETTINGS, tmp_path)
    assert trained and len(list(tmp_path.glob("embedded-*.npz"))) == 2


def test_a_damaged_file_is_trained_anew_not_trusted(tmp_path, caplog):
    trained_model(TOY, SETTINGS, tmp_path)
    (stored,) = tmp_path.glob("embedded-*.npz")
    stored.write_bytes(b"PK\x03\x04 not a model")
    model, trained = trained_model(TOY, SETTINGS, tmp_path)
    assert trained and "unreadable" in caplog.text
    assert isinstance(EmbeddedModel.load(stored), EmbeddedModel)  # and the good one is back in place
    assert model.classify_sync("Duldung").top.label == "a.tolerated"


def test_old_models_are_pruned(tmp_path):
    for extra in range(KEPT_MODELS + 2):
        trained_model(TOY + [TrainingExample(f"Frage {extra}", "a.blue_card", "de")], SETTINGS, tmp_path)
    assert len(list(tmp_path.glob("embedded-*.npz"))) == KEPT_MODELS


def test_without_a_cache_nothing_is_stored(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model, trained = trained_model(TOY, SETTINGS, None)
    assert trained and model.classify_sync("Blaue Karte?").top.label == "a.blue_card"
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_a_serving_process_never_imports_scikit_learn(tmp_path):
    """Trained (in a child) and then loaded from the cache: neither start imports scikit-learn or SciPy."""
    script = (
        "import sys; from bot.config import load_config; from bot.app import build_core\n"
        f"core = build_core(load_config(environ={{'LOTSE_MODEL_CACHE': {str(tmp_path)!r}}}))\n"
        "assert core.knowledge.current.classifier.classify_sync('Duldung?').ranking\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy')))\n"
    )
    for _ in range(2):  # the first start trains, the second loads
        run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip() == "[]"
    assert len(list(tmp_path.glob("embedded-*.npz"))) == 1
