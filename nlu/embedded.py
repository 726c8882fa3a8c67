"""Training the embedded classifier with scikit-learn, from the FAQ's examples.

The fitted parameters become an nlu/model.py EmbeddedModel, which serves without scikit-learn.
A running bot trains in a child process (nlu/model_cache.py), so that its own memory never holds
scikit-learn or the training's temporaries; tests and benchmarks train in-process with this class.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from joblib import parallel_config
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from nlu.model import Analyzer, Calibrated, EmbeddedModel, EmbeddedSettings, FeatureBlock, LanguageModel
from nlu.terms import TermMatcher
from nlu.text import fold
from nlu.types import TrainingExample

__all__ = ["EmbeddedClassifier", "EmbeddedSettings", "analyzer_of", "train_to_file"]

log = logging.getLogger(__name__)


def analyzer_of(vectorizer: TfidfVectorizer) -> Analyzer:
    """The vectorizer's analyzer as nlu/model.py computes it (plain char_wb or word n-grams only)."""
    if vectorizer.analyzer not in ("char_wb", "word") or vectorizer.preprocessor or vectorizer.strip_accents:
        raise ValueError(f"no plain-numpy analyzer for {vectorizer!r}")
    if vectorizer.tokenizer is not None or vectorizer.stop_words is not None:
        raise ValueError(f"no plain-numpy analyzer for {vectorizer!r}")
    assert vectorizer.sublinear_tf and vectorizer.norm == "l2", "FeatureBlock computes sublinear tf with l2 norm"
    low, high = vectorizer.ngram_range
    return Analyzer(vectorizer.analyzer, low, high, vectorizer.lowercase, vectorizer.token_pattern)


def block_of(vectorizer: TfidfVectorizer, offset: int = 0) -> FeatureBlock:
    terms = [term for term, _ in sorted(vectorizer.vocabulary_.items(), key=lambda item: item[1])]
    return FeatureBlock(analyzer_of(vectorizer), terms, vectorizer.idf_, offset)


def _vectorizers(settings: EmbeddedSettings) -> list[TfidfVectorizer]:
    # Character n-grams within word boundaries carry German compounds and typos
    # ("Beschäftigungsduldung", "Beschaeftigungsdulung"); word n-grams carry phrases.
    # They see folded text (nlu/text.py): folded once per message for both, not once per vectorizer.
    common = {"lowercase": False, "sublinear_tf": True, "dtype": np.float32}
    return [
        TfidfVectorizer(analyzer="char_wb", ngram_range=(settings.char_ngram_min, settings.char_ngram_max), **common),
        TfidfVectorizer(
            analyzer="word", ngram_range=(1, settings.word_ngram_max), token_pattern=r"(?u)\b\w+\b", **common
        ),
    ]


class EmbeddedClassifier(EmbeddedModel):
    """Trains on the examples, then serves like any EmbeddedModel.

    A linear SVM separates the labels well on little data; CalibratedClassifierCV turns its
    scores into probabilities (Platt scaling on cross-validated scores), which the decision
    rule reads as confidences.
    """

    def __init__(self, examples: Sequence[TrainingExample], settings: EmbeddedSettings | None = None):
        if not examples:
            raise ValueError("the embedded classifier needs training examples")
        settings = settings or EmbeddedSettings()
        started = time.perf_counter()
        terms: dict[str, list[str]] = {}
        for example in examples:
            if example.kind == "term":
                terms.setdefault(example.label, []).append(example.text)
        questions = [e for e in examples if e.kind != "term"]
        trained = examples if settings.terms_as_examples else questions
        self._vectorizers = _vectorizers(settings)
        folded = [fold(e.text) for e in trained]
        blocks = [v.fit_transform(folded) for v in self._vectorizers]
        width = sum(b.shape[1] for b in blocks)
        out_of_field = [e.text for e in questions if e.label == "out_of_scope"]  # terms found there are generic
        self._training_terms = TermMatcher(
            terms, settings.term_weight, settings.domain_weight, width, out_of_field=out_of_field
        )
        self._with_terms = bool(self._training_terms.size) and (settings.term_weight > 0 or settings.domain_weight > 0)
        if self._with_terms:
            blocks.append(self._training_terms.matrix(folded, [e.text for e in trained]))
        features = sp.hstack(blocks).tocsr()
        # ensemble=True: one SVM per fold, each calibrated on its held-out part, averaged;
        # cheaper than refitting on all data, and the average is smoother. A fixed random_state
        # makes training repeatable: a model from the cache is the model training would give.
        self._model = CalibratedClassifierCV(
            LinearSVC(C=settings.regularisation, random_state=0), cv=settings.calibration_folds, ensemble=True
        )
        # liblinear releases the GIL, so the folds train side by side on threads.
        with parallel_config(backend="threading", n_jobs=2):
            self._model.fit(features, [e.label for e in trained])
        folds = self._model.calibrated_classifiers_
        calibrated = Calibrated(
            labels=tuple(str(label) for label in self._model.classes_),
            # (features, folds x labels): one gather and one product per message serve every fold.
            coef=np.ascontiguousarray(
                np.stack([f.estimator.coef_.T for f in folds], axis=1).reshape(features.shape[1], -1),
                dtype=np.float32,
            ),
            intercept=np.stack([f.estimator.intercept_ for f in folds]).astype(np.float32),
            platt_a=np.array([[c.a_ for c in f.calibrators] for f in folds]),
            platt_b=np.array([[c.b_ for c in f.calibrators] for f in folds]),
        )
        offsets = np.cumsum([0] + [len(v.vocabulary_) for v in self._vectorizers[:-1]])
        feature_blocks = [block_of(v, int(offset)) for v, offset in zip(self._vectorizers, offsets, strict=True)]

        texts = [e.text for e in questions]  # terms carry no language
        self._lang_vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)
        self._lang_model = LogisticRegression(C=10.0, max_iter=1000)
        self._lang_model.fit(self._lang_vectorizer.fit_transform(texts), [e.lang for e in questions])
        first, second = (str(c) for c in self._lang_model.classes_)
        language = LanguageModel(
            block_of(self._lang_vectorizer),
            self._lang_model.coef_.ravel().astype(np.float32),
            float(self._lang_model.intercept_[0]),
            (first, second),
        )
        super().__init__(settings, feature_blocks, terms, calibrated, language, out_of_field)
        self.training_seconds = time.perf_counter() - started
        log.info(
            "embedded classifier trained on %d examples, %d labels, in %.2f s",
            len(examples),
            len(self.labels),
            self.training_seconds,
        )

    def features(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The model's input for raw texts, built the way training built it (scikit-learn's path)."""
        folded = [fold(text) for text in texts]
        blocks = [v.transform(folded) for v in self._vectorizers]
        if self._with_terms:
            blocks.append(self._training_terms.matrix(folded, texts))
        return sp.hstack(blocks).tocsr()


def train_to_file(examples: Sequence[TrainingExample], settings: EmbeddedSettings, path: Path) -> float:
    """Train and save the model to `path` (what nlu/model_cache.py runs in a child process).

    Returns the training time in seconds.
    """
    classifier = EmbeddedClassifier(examples, settings)
    classifier.save(path)
    return classifier.training_seconds
