"""The embedded classifier: scikit-learn, trained from the FAQ examples at start-up."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, make_pipeline

from nlu.text import fold
from nlu.types import Classification, Scored, TrainingExample

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmbeddedSettings:
    """Model settings; config.yml's `nlu.embedded` section fills them."""

    char_ngram_min: int = 2
    char_ngram_max: int = 5
    word_ngram_max: int = 2
    regularisation: float = 10.0
    max_ranked: int = 10


def _features(settings: EmbeddedSettings) -> FeatureUnion:
    # Character n-grams within word boundaries carry German compounds and typos
    # ("Beschäftigungsduldung", "Beschaeftigungsdulung"); word n-grams carry phrases.
    return FeatureUnion(
        [
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=(settings.char_ngram_min, settings.char_ngram_max),
                    preprocessor=fold,
                    sublinear_tf=True,
                    dtype=np.float32,
                ),
            ),
            (
                "words",
                TfidfVectorizer(
                    analyzer="word",
                    ngram_range=(1, settings.word_ngram_max),
                    preprocessor=fold,
                    token_pattern=r"(?u)\b\w+\b",
                    sublinear_tf=True,
                    dtype=np.float32,
                ),
            ),
        ]
    )


class EmbeddedClassifier:
    """Ranks FAQ topics and routes for a message, and detects its language.

    Multinomial logistic regression gives probabilities that sum to one over all labels,
    which the decision rule reads as confidences.
    """

    name = "embedded"

    def __init__(self, examples: Sequence[TrainingExample], settings: EmbeddedSettings | None = None):
        if not examples:
            raise ValueError("the embedded classifier needs training examples")
        self.settings = settings or EmbeddedSettings()
        started = time.perf_counter()
        texts = [e.text for e in examples]
        self._intents = make_pipeline(
            _features(self.settings), LogisticRegression(C=self.settings.regularisation, max_iter=3000)
        )
        self._intents.fit(texts, [e.label for e in examples])
        self._languages = make_pipeline(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), lowercase=True, sublinear_tf=True),
            LogisticRegression(C=10.0, max_iter=1000),
        )
        self._languages.fit(texts, [e.lang for e in examples])
        self.labels: tuple[str, ...] = tuple(self._intents.classes_)
        self.training_seconds = time.perf_counter() - started
        log.info("embedded classifier trained on %d examples, %d labels, in %.2f s",
                 len(examples), len(self.labels), self.training_seconds)

    def classify_sync(self, text: str) -> Classification:
        probabilities = self._intents.predict_proba([text])[0]
        order = np.argsort(probabilities)[::-1][: self.settings.max_ranked]
        ranking = tuple(Scored(self.labels[i], float(probabilities[i])) for i in order)
        lang_probs = self._languages.predict_proba([text])[0]
        best = int(np.argmax(lang_probs))
        return Classification(
            text=text,
            lang=str(self._languages.classes_[best]),
            lang_confidence=float(lang_probs[best]),
            ranking=ranking,
            backend=self.name,
        )

    async def classify(self, text: str) -> Classification:
        # Sub-millisecond work: running it inline is cheaper than a thread hop.
        return self.classify_sync(text)

    async def close(self) -> None:
        return None
