"""The embedded classifier as a running bot uses it: fitted parameters and plain numpy, no scikit-learn.

nlu/embedded.py trains with scikit-learn and hands over its fitted parameters (vocabularies, IDF
weights, the SVM folds' coefficients, the Platt calibrators, the language model). A serving
process never imports scikit-learn or SciPy: together they are about 80 MiB of resident memory
and two seconds of start-up (docs/performance.md). nlu/model_cache.py stores a model with
`save()` and loads it with `load()`, so a bot starts without training when its FAQ is unchanged.

The arithmetic is scikit-learn's (TfidfVectorizer with sublinear_tf and l2 norm, LinearSVC's
decision function, CalibratedClassifierCV's sigmoid calibration averaged over folds); tests
compare it with predict_proba.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from nlu.terms import TermMatcher
from nlu.text import fold
from nlu.types import Classification, Scored

FORMAT = 2  # bump when the saved layout changes: older files are then retrained, not misread


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


@dataclass(frozen=True)
class Analyzer:
    """How a text becomes n-grams, as a TfidfVectorizer's analyzer does: "char_wb" or "word"."""

    kind: str
    low: int
    high: int
    lowercase: bool
    token_pattern: str = r"(?u)\b\w\w+\b"

    def ngrams(self) -> Callable[[str], list[str]]:
        if self.kind == "char_wb":
            low, high = self.low, self.high
            if self.lowercase:
                return lambda text: char_wb_ngrams(text.lower(), low, high)
            return lambda text: char_wb_ngrams(text, low, high)
        if self.kind == "word":
            tokens = re.compile(self.token_pattern).findall
            low, high = self.low, self.high
            if self.lowercase:
                return lambda text: word_ngrams(tokens(text.lower()), low, high)
            return lambda text: word_ngrams(tokens(text), low, high)
        raise ValueError(f"unknown analyzer {self.kind!r}")


def char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    """scikit-learn's char_wb n-grams (n-grams inside each space-padded word; a word shorter than n
    is one n-gram, once), with one list comprehension per word and n instead of a loop per n-gram."""
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


def word_ngrams(tokens: list[str], low: int, high: int) -> list[str]:
    """scikit-learn's word n-grams of a token list: all n-grams for n from low to high, by n."""
    if high == 1:
        return tokens if low == 1 else []
    grams = list(tokens) if low == 1 else []
    for n in range(max(low, 2), min(high, len(tokens)) + 1):
        grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return grams


_NO_COLUMNS = np.empty(0, dtype=np.intp)
_NO_WEIGHTS = np.empty(0, dtype=np.float32)


class FeatureBlock:
    """One fitted TF-IDF vectorizer applied to one text, returning (column indices, weights).

    The same arithmetic as TfidfVectorizer.transform for sublinear_tf and l2 norm, without
    scikit-learn's per-call input validation, which costs milliseconds per message.
    `offset` is added to the columns (the block's place in the combined feature space).
    """

    REMEMBERED_WORDS = 50_000

    def __init__(self, analyzer: Analyzer, terms: Sequence[str], idf: np.ndarray, offset: int = 0):
        self.analyzer = analyzer
        self.terms = list(terms)  # the vocabulary in column order
        self.vocabulary = {term: column for column, term in enumerate(self.terms)}
        self.idf = np.asarray(idf, dtype=np.float32)
        self.offset = offset
        self.analyze = analyzer.ngrams()
        # char_wb n-grams never cross a word, so a word's columns can be remembered: employers'
        # questions reuse a small vocabulary, and a known word then costs one dict lookup.
        self._per_word = analyzer.kind == "char_wb"
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
        if self._per_word:
            words = text.lower().split() if self.analyzer.lowercase else text.split()
            counts = Counter(chain.from_iterable(map(self._columns_of, words)))
        else:  # None: an n-gram never seen in training
            counts = Counter(c for c in map(self.vocabulary.get, self.analyze(text)) if c is not None)
        if not counts:
            return _NO_COLUMNS, _NO_WEIGHTS
        columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        weights = (1 + np.log(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))) * self.idf[columns]
        weights /= math.sqrt(float(weights @ weights))
        return (columns + self.offset if self.offset else columns), weights


def sigmoid(x: np.ndarray) -> np.ndarray:
    # scipy.special.expit's formula; numpy alone keeps SciPy out of a serving process
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


@dataclass
class Calibrated:
    """A calibrated linear SVM ensemble: per fold, scores = intercept + x·coef, then Platt's sigmoid."""

    labels: tuple[str, ...]
    coef: np.ndarray  # (features, folds × labels), float32: one gather and one product serve every fold
    intercept: np.ndarray  # (folds, labels)
    platt_a: np.ndarray  # (folds, labels)
    platt_b: np.ndarray  # (folds, labels)


@dataclass
class LanguageModel:
    """A binary logistic regression on character n-grams: which of two languages a text is in."""

    block: FeatureBlock
    coef: np.ndarray
    intercept: float
    classes: tuple[str, str]

    def __call__(self, text: str) -> tuple[str, float]:
        columns, weights = self.block(text)
        p_second = float(sigmoid(np.asarray(float(weights @ self.coef[columns]) + self.intercept)))
        first, second = self.classes
        return (second, p_second) if p_second >= 0.5 else (first, 1 - p_second)


class EmbeddedModel:
    """Ranks FAQ topics and routes for a message, and detects its language (the IntentClassifier)."""

    name = "embedded"

    def __init__(
        self,
        settings: EmbeddedSettings,
        blocks: Sequence[FeatureBlock],
        terms: dict[str, list[str]],
        calibrated: Calibrated,
        language_model: LanguageModel,
        out_of_field: Sequence[str] = (),
    ):
        """`terms` and `out_of_field` (the out_of_scope examples) rebuild the term features as
        training built them (nlu/terms.py)."""
        self.settings = settings
        self.labels = calibrated.labels
        self._blocks = list(blocks)
        self._term_lists = terms
        width = sum(len(b.terms) for b in self._blocks)
        self._out_of_field = list(out_of_field)
        self._terms = TermMatcher(
            terms, settings.term_weight, settings.domain_weight, width, out_of_field=self._out_of_field
        )
        weighted = settings.term_weight > 0 or settings.domain_weight > 0
        self._term_features = bool(self._terms.size) and weighted
        self._calibrated = calibrated
        self._language_model = language_model

    def probabilities(self, text: str) -> np.ndarray:
        """Calibrated probability per label, as CalibratedClassifierCV.predict_proba computes them."""
        folded = fold(text)
        return self._probabilities(folded, self._terms.columns(folded, text))

    def _probabilities(self, folded: str, term_columns: np.ndarray) -> np.ndarray:
        model = self._calibrated
        rows = [block(folded) for block in self._blocks]
        if self._term_features:
            rows.append((term_columns, self._terms.weights(term_columns)))
        columns = np.concatenate([columns for columns, _ in rows])
        weights = np.concatenate([weights for _, weights in rows])
        scores = model.intercept + (weights @ model.coef[columns]).reshape(model.intercept.shape)
        per_fold = sigmoid(-(model.platt_a * scores + model.platt_b))
        totals = per_fold.sum(axis=1, keepdims=True)
        if not totals.all():  # every sigmoid of a fold underflowed: scikit-learn makes that fold uniform
            uniform = np.full_like(per_fold, 1 / len(self.labels))
            per_fold = np.divide(per_fold, totals, out=uniform, where=totals > 0)
        else:
            per_fold /= totals
        return per_fold.mean(axis=0)

    def language(self, text: str) -> tuple[str, float]:
        return self._language_model(text)

    def classify_sync(self, text: str) -> Classification:
        folded = fold(text)
        term_columns = self._terms.columns(folded, text)
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

    def save(self, path: Path) -> None:
        """Write the model to one .npz file (no pickles: loading never runs code from the file)."""
        language = self._language_model
        meta: dict[str, Any] = {
            "format": FORMAT,
            "settings": asdict(self.settings),
            "labels": list(self.labels),
            "terms": self._term_lists,
            "out_of_field": self._out_of_field,
            "blocks": [{"analyzer": asdict(b.analyzer), "terms": b.terms} for b in self._blocks],
            "language": {
                "analyzer": asdict(language.block.analyzer),
                "terms": language.block.terms,
                "intercept": language.intercept,
                "classes": list(language.classes),
            },
        }
        arrays: dict[str, Any] = {f"idf{i}": block.idf for i, block in enumerate(self._blocks)}
        model = self._calibrated
        arrays |= {"coef": model.coef, "intercept": model.intercept, "platt_a": model.platt_a}
        arrays |= {"platt_b": model.platt_b, "language_idf": language.block.idf, "language_coef": language.coef}
        with path.open("wb") as file:
            np.savez(file, meta=np.array(json.dumps(meta, ensure_ascii=False)), **arrays)

    @classmethod
    def load(cls, path: Path) -> EmbeddedModel:
        """Read a model that save() wrote. Raises ValueError for a file of another format."""
        with path.open("rb") as file, np.load(file, allow_pickle=False) as stored:  # our handle: closed on errors too
            meta = json.loads(str(stored["meta"]))
            if meta.get("format") != FORMAT:
                raise ValueError(f"{path}: model format {meta.get('format')}, this code reads {FORMAT}")
            arrays = {key: stored[key] for key in stored.files if key != "meta"}
        blocks, offset = [], 0
        for i, block in enumerate(meta["blocks"]):
            blocks.append(FeatureBlock(Analyzer(**block["analyzer"]), block["terms"], arrays[f"idf{i}"], offset))
            offset += len(block["terms"])
        lang = meta["language"]
        language = LanguageModel(
            FeatureBlock(Analyzer(**lang["analyzer"]), lang["terms"], arrays["language_idf"]),
            arrays["language_coef"],
            float(lang["intercept"]),
            (lang["classes"][0], lang["classes"][1]),
        )
        calibrated = Calibrated(
            tuple(meta["labels"]), arrays["coef"], arrays["intercept"], arrays["platt_a"], arrays["platt_b"]
        )
        settings = EmbeddedSettings(**meta["settings"])
        return cls(settings, blocks, meta["terms"], calibrated, language, meta["out_of_field"])
