"""The embedded classifier: scikit-learn, trained from the FAQ examples at start-up."""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
import scipy.sparse as sp
from joblib import parallel_config
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from nlu.terms import TermMatcher
from nlu.text import fold
from nlu.types import Classification, Scored, TrainingExample

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmbeddedSettings:
    """Model settings; config.yml's `nlu.embedded` section fills them."""

    char_ngram_min: int = 2
    char_ngram_max: int = 4
    word_ngram_max: int = 2
    regularisation: float = 0.5
    calibration_folds: int = 3
    term_weight: float = 0.0  # value of a topic's key-term feature (nlu/terms.py) ...
    domain_weight: float = 0.5  # ... and of the feature "some topic's term occurs"; both 0: no term features
    terms_as_examples: bool = True  # each topic's terms are also short training questions of it
    max_ranked: int = 10


class _SparseRow:
    """A fitted TfidfVectorizer applied to one text, returning (column indices, weights).

    The same arithmetic as TfidfVectorizer.transform for sublinear_tf and l2 norm, without
    sklearn's per-call input validation, which costs milliseconds per message (tests compare).
    `offset` is added to the columns (the vectorizer's place in the combined feature space).
    """

    REMEMBERED_WORDS = 50_000

    def __init__(self, vectorizer: TfidfVectorizer, offset: int = 0):
        assert vectorizer.sublinear_tf and vectorizer.norm == "l2"
        self.analyze = _fast_analyzer(vectorizer)
        self.vocabulary = vectorizer.vocabulary_
        self.idf = vectorizer.idf_.astype(np.float32)
        self.offset = offset
        # char_wb n-grams never cross a word, so a word's columns can be remembered: employers'
        # questions reuse a small vocabulary, and a known word then costs one dict lookup.
        self._per_word = _per_word(vectorizer)
        self._words: dict[str, tuple[int, ...]] = {}

    def _columns_of(self, word: str) -> tuple[int, ...]:
        columns = self._words.get(word)
        if columns is None:
            if len(self._words) >= self.REMEMBERED_WORDS:
                self._words.clear()
            columns = tuple(i for i in map(self.vocabulary.get, self.analyze(word)) if i is not None)
            self._words[word] = columns
        return columns

    def __call__(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        if self._per_word is not None:
            counts = Counter(chain.from_iterable(map(self._columns_of, self._per_word(text))))
        else:
            counts = Counter(
                column for column in map(self.vocabulary.get, self.analyze(text)) if column is not None
            )  # None: an n-gram never seen in training
        if not counts:
            return _NO_COLUMNS, _NO_WEIGHTS
        columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        weights = (1 + np.log(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))) * self.idf[columns]
        weights /= math.sqrt(float(weights @ weights))
        return (columns + self.offset if self.offset else columns), weights


def _char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    """sklearn's char_wb n-grams (n-grams inside each space-padded word; a word shorter than n is
    one n-gram, once), with one list comprehension per word and n instead of a loop per n-gram."""
    grams: list[str] = []
    for word in text.split():
        word = f" {word} "
        size = len(word)
        for n in range(low, high + 1):
            if size <= n:
                grams.append(word)
                break
            grams += [word[i : i + n] for i in range(size - n + 1)]
    return grams


def _char_wb_range(vectorizer: TfidfVectorizer) -> tuple[int, int] | None:
    """The n-gram range if the analyzer is plain char_wb (no preprocessor, no accent stripping), whose
    n-grams this module computes itself; None for any other analyzer."""
    if vectorizer.analyzer != "char_wb" or vectorizer.preprocessor is not None or vectorizer.strip_accents:
        return None
    return vectorizer.ngram_range


def _fast_analyzer(vectorizer: TfidfVectorizer):
    """The vectorizer's analyzer; for char_wb a faster one with the same output (tests compare)."""
    if (ngram_range := _char_wb_range(vectorizer)) is None:
        return vectorizer.build_analyzer()
    low, high = ngram_range
    if vectorizer.lowercase:
        return lambda text: _char_wb_ngrams(text.lower(), low, high)
    return lambda text: _char_wb_ngrams(text, low, high)


def _per_word(vectorizer: TfidfVectorizer):
    """For char_wb: the text's words as the analyzer sees them (lower-cased if it lower-cases); else None."""
    if _char_wb_range(vectorizer) is None:
        return None
    return (lambda text: text.lower().split()) if vectorizer.lowercase else str.split


_NO_COLUMNS = np.empty(0, dtype=np.intp)
_NO_WEIGHTS = np.empty(0, dtype=np.float32)


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


class EmbeddedClassifier:
    """Ranks FAQ topics and routes for a message, and detects its language.

    A linear SVM separates the labels well on little data; CalibratedClassifierCV turns its
    scores into probabilities (Platt scaling on cross-validated scores), which the decision
    rule reads as confidences.
    """

    name = "embedded"

    def __init__(self, examples: Sequence[TrainingExample], settings: EmbeddedSettings | None = None):
        if not examples:
            raise ValueError("the embedded classifier needs training examples")
        self.settings = settings or EmbeddedSettings()
        started = time.perf_counter()
        terms: dict[str, list[str]] = {}
        for example in examples:
            if example.kind == "term":
                terms.setdefault(example.label, []).append(example.text)
        questions = [e for e in examples if e.kind != "term"]
        trained = examples if self.settings.terms_as_examples else questions
        self._vectorizers = _vectorizers(self.settings)
        folded = [fold(e.text) for e in trained]
        blocks = [v.fit_transform(folded) for v in self._vectorizers]
        width = sum(b.shape[1] for b in blocks)
        out_of_field = [e.text for e in questions if e.label == "out_of_scope"]  # terms found there are generic
        self._terms = TermMatcher(
            terms, self.settings.term_weight, self.settings.domain_weight, width, out_of_field=out_of_field
        )
        weighted = self.settings.term_weight > 0 or self.settings.domain_weight > 0
        self._term_features = bool(self._terms.size) and weighted
        if self._term_features:
            blocks.append(self._terms.matrix(folded))
        features = sp.hstack(blocks).tocsr()
        # ensemble=True: one SVM per fold, each calibrated on its held-out part, averaged;
        # cheaper than refitting on all data, and the average is smoother.
        model = CalibratedClassifierCV(
            LinearSVC(C=self.settings.regularisation), cv=self.settings.calibration_folds, ensemble=True
        )
        # liblinear releases the GIL, so the folds train side by side on threads.
        with parallel_config(backend="threading", n_jobs=2):
            model.fit(features, [e.label for e in trained])
        self.labels: tuple[str, ...] = tuple(model.classes_)
        folds = model.calibrated_classifiers_
        # (features, folds x labels): one gather and one product per message serve every fold.
        self._coef = np.ascontiguousarray(
            np.stack([f.estimator.coef_.T for f in folds], axis=1).reshape(features.shape[1], -1), dtype=np.float32
        )
        self._intercept = np.stack([f.estimator.intercept_ for f in folds]).astype(np.float32)
        self._platt_a = np.array([[c.a_ for c in f.calibrators] for f in folds])
        self._platt_b = np.array([[c.b_ for c in f.calibrators] for f in folds])
        self._model = model
        offsets = np.cumsum([0] + [len(v.vocabulary_) for v in self._vectorizers[:-1]])
        self._rows = [_SparseRow(v, int(offset)) for v, offset in zip(self._vectorizers, offsets, strict=True)]

        texts = [e.text for e in questions]  # terms carry no language
        self._lang_vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)
        self._lang_model = LogisticRegression(C=10.0, max_iter=1000)
        self._lang_model.fit(self._lang_vectorizer.fit_transform(texts), [e.lang for e in questions])
        self._lang_row = _SparseRow(self._lang_vectorizer)
        self._lang_coef = self._lang_model.coef_.ravel().astype(np.float32)
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
        if self._term_features:
            blocks.append(self._terms.matrix(folded))
        return sp.hstack(blocks).tocsr()

    def probabilities(self, text: str) -> np.ndarray:
        """Calibrated probability per label, as CalibratedClassifierCV.predict_proba computes them."""
        folded = fold(text)
        return self._probabilities(folded, self._terms.columns(folded))

    def _probabilities(self, folded: str, term_columns: np.ndarray) -> np.ndarray:
        """probabilities() for a folded text whose term columns are known.

        Done with the fitted parameters directly because sklearn's per-call input checks cost
        several milliseconds for 50+ labels, while the arithmetic takes microseconds
        (tests compare both).
        """
        rows = [row(folded) for row in self._rows]
        if self._term_features:
            rows.append((term_columns, self._terms.weights(term_columns)))
        columns = np.concatenate([columns for columns, _ in rows])
        weights = np.concatenate([weights for _, weights in rows])
        scores = self._intercept + (weights @ self._coef[columns]).reshape(self._intercept.shape)
        per_fold = expit(-(self._platt_a * scores + self._platt_b))
        totals = per_fold.sum(axis=1, keepdims=True)
        if not totals.all():  # every sigmoid of a fold underflowed: sklearn makes that fold uniform
            uniform = np.full_like(per_fold, 1 / len(self.labels))
            per_fold = np.divide(per_fold, totals, out=uniform, where=totals > 0)
        else:
            per_fold /= totals
        return per_fold.mean(axis=0)

    def language(self, text: str) -> tuple[str, float]:
        columns, weights = self._lang_row(text)
        p_second = float(expit(weights @ self._lang_coef[columns] + self._lang_model.intercept_[0]))
        first, second = self._lang_model.classes_
        return (str(second), p_second) if p_second >= 0.5 else (str(first), 1 - p_second)

    def classify_sync(self, text: str) -> Classification:
        folded = fold(text)
        term_columns = self._terms.columns(folded)
        probabilities = self._probabilities(folded, term_columns)
        order = np.argsort(probabilities)[::-1][: self.settings.max_ranked].tolist()
        probabilities = probabilities.tolist()  # Python floats: indexing numpy scalars one by one is slow
        lang, lang_confidence = self.language(text)
        return Classification(
            text=text,
            lang=lang,
            lang_confidence=lang_confidence,
            ranking=tuple(Scored(self.labels[i], probabilities[i]) for i in order),
            backend=self.name,
            term_topics=self._terms.topics_of(term_columns) if self._terms.size else None,
        )

    async def classify(self, text: str) -> Classification:
        # Sub-millisecond work: running it inline is cheaper than a thread hop.
        return self.classify_sync(text)

    async def close(self) -> None:
        return None
