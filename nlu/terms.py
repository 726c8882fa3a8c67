"""Editors' key terms as classifier features: "Duldung" says status.tolerated louder than "im Betrieb".

Character and word n-grams weigh every word of a question by its TF-IDF, so in "Darf ein
Geflüchteter mit Duldung bei uns im Betrieb arbeiten?" the incidental words outweigh the one
that decides the topic. A topic's `terms:` (faq/*.yml) become one feature per topic, set when
the question contains one of them, and one `domain` feature, set when it contains any topic's
term: a question without any term of the field (payroll, tax, the employer's own visa) leans
towards out_of_scope. The SVM learns how much each feature counts, like any other feature.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from nlu.text import fold

if TYPE_CHECKING:
    import scipy.sparse as sp

_NONE = np.empty(0, dtype=np.intp)


_ENDINGS = ("en", "er", "es", "em", "e", "n", "s")


def term_word(word: str) -> str:
    """The form a term's word is matched by: a word of up to 3 letters as it is ("EQ", "60a"); a
    longer one without a German inflection ending, so that "Geduldete" also finds "Geduldeten"."""
    if len(word) > 5:
        for ending in _ENDINGS:
            if word.endswith(ending):
                return word[: -len(ending)]
    return word


def _matches(pattern: str, word: str) -> bool:
    return word == pattern if len(pattern) <= 3 else word.startswith(pattern)


class TermMatcher:
    """Which topics' terms a folded text contains, as feature columns (one per topic, then `domain`).

    Each word of a term matches a word that starts with it (after dropping an inflection ending,
    see term_word): "Duldung" finds "Duldungsbescheinigung" and "sichere Herkunftsstaat" finds
    "sicheren Herkunftsstaaten". A German compound's head is its last part, so "Ausbildungsduldung"
    does not match "Duldung"; that topic lists its own term. Words of up to 3 letters match whole.
    """

    REMEMBERED_WORDS = 50_000

    def __init__(
        self, terms: Mapping[str, Iterable[str]], topic_value: float = 1.0, domain_value: float = 1.0, offset: int = 0
    ):
        self.labels: tuple[str, ...] = tuple(sorted(terms))
        # the feature value of each column: the topics' columns, then the domain column
        self.values = np.array([topic_value] * len(self.labels) + [domain_value], dtype=np.float32)
        self.offset = offset
        # first word of a term -> (the term's other words, column)
        self._exact: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        self._prefix: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        for column, label in enumerate(self.labels):
            for term in terms[label]:
                words = tuple(term_word(w) for w in fold(term).split())
                if words:
                    index = self._exact if len(words[0]) <= 3 else self._prefix
                    index.setdefault(words[0], []).append((words[1:], column))
        self._lengths = sorted({len(w) for w in self._prefix})
        self._starts: dict[str, tuple[tuple[tuple[str, ...], int], ...]] = {}
        self.size = len(self.labels) + 1 if self.labels else 0

    @property
    def domain_column(self) -> int:
        return len(self.labels)

    def _starting_at(self, word: str) -> tuple[tuple[tuple[str, ...], int], ...]:
        """The terms whose first word matches this word (remembered: employers reuse their words)."""
        found = self._starts.get(word)
        if found is None:
            hits = list(self._exact.get(word, ()))
            for length in self._lengths:
                if length > len(word):
                    break
                hits += self._prefix.get(word[:length], ())
            if len(self._starts) >= self.REMEMBERED_WORDS:
                self._starts.clear()
            found = self._starts[word] = tuple(hits)
        return found

    def columns(self, folded: str) -> np.ndarray:
        """Feature columns (with the offset) set for a folded text; empty when no term occurs."""
        if not self.size:
            return _NONE
        words = folded.split()
        found: set[int] = set()
        for i, word in enumerate(words):
            for rest, column in self._starting_at(word):
                if not rest or (
                    len(words) - i - 1 >= len(rest)
                    and all(_matches(p, w) for p, w in zip(rest, words[i + 1 :], strict=False))
                ):
                    found.add(column)
        if not found:
            return _NONE
        found.add(self.domain_column)
        return np.fromiter(sorted(found), dtype=np.intp, count=len(found)) + self.offset

    def topics_of(self, columns: np.ndarray) -> tuple[str, ...]:
        """The topics of columns that columns() returned."""
        return tuple(self.labels[c - self.offset] for c in columns.tolist() if c - self.offset < len(self.labels))

    def matched(self, text: str) -> tuple[str, ...]:
        """The topics whose terms a raw text contains."""
        return self.topics_of(self.columns(fold(text)))

    def weights(self, columns: np.ndarray) -> np.ndarray:
        """The feature values of columns that columns() returned."""
        return self.values[columns - self.offset]

    def matrix(self, folded_texts: Sequence[str]) -> sp.csr_matrix:
        """The term features of many folded texts, without the offset, for training."""
        import scipy.sparse as sp  # training only: a serving process never loads SciPy

        rows, cols = [], []
        for row, folded in enumerate(folded_texts):
            columns = self.columns(folded) - self.offset
            rows.extend([row] * len(columns))
            cols.extend(columns.tolist())
        data = self.values[np.array(cols, dtype=np.intp)] if cols else np.empty(0, dtype=np.float32)
        return sp.csr_matrix((data, (rows, cols)), shape=(len(folded_texts), self.size), dtype=np.float32)
