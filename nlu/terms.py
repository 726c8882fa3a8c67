"""Editors' key terms as classifier features: "Duldung" says status.tolerated louder than "im Betrieb".

Character and word n-grams weigh every word of a question by its TF-IDF, so in "Darf ein
Geflüchteter mit Duldung bei uns im Betrieb arbeiten?" the incidental words outweigh the one
that decides the topic. A topic's `terms:` (faq/*.yml) become one feature per topic, set when
the question contains one of them, and one `domain` feature, set when it shows the field: a word
of the field itself (FIELD_WORDS: refugee, asylum, residence permit ...) or a topic's term that
never occurs in an out_of_scope example. "Minijob" or "Praktikum" are terms, but an employer also
asks about a cleaner's mini-job or a daughter's internship: without a word of the field such a
question leans towards out_of_scope. A `person` feature is set when the question names someone by
title ("Herr Rahimi", "Ms Amadi"): names are new to the model every time, the title is the constant
mark of one person's case for the authority. The SVM learns how much each feature counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from nlu.text import fold

if TYPE_CHECKING:
    import scipy.sparse as sp

_NONE = np.empty(0, dtype=np.intp)
_Entry = tuple[tuple[str, ...], int | None, int]  # a term's other words, its topic column (None: a field word), number


_ENDINGS = ("en", "er", "es", "em", "e", "n", "s")

# Words that place a question in the field (employing refugees and migrants) whatever its topic.
# Matched like terms (by their beginning, inflections dropped). Any of them that also occurs in an
# out_of_scope example (the employer's own visa, a building permit) stops counting, like a term.
FIELD_WORDS = tuple(
    word.strip()
    for word in """
Flüchtling | Geflüchtete | geflüchtet | Fluchthintergrund | Asyl | Migrant | Migration | Zuwanderer
Zuwanderung | Einwanderung | ausländisch | Ausländerbehörde | Ausländeramt | ABH | Aufenthalt
Anerkennung | anerkannt | Visum | Einreise | Fachkräfte | Arbeitserlaubnis | Beschäftigungserlaubnis
Arbeitsgenehmigung | Duldung | geduldet | Gestattung | Drittstaat | Arbeitsverbot | Bundesagentur
Zustimmung der Arbeitsagentur
refugee | asylum | migrant | immigrant | immigration | foreign | foreigner | residence | work permit
work permission | toleration | tolerated | third country | non-EU | recognition | recognised
recognized | visa | skilled worker | skilled immigration
""".replace("\n", "|").split("|")
    if word.strip()
)


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


# "Herr Rahimi", "Frau Nouri", "Ms Amadi": a person named by title marks one person's case, which only the
# authority can check; "meine Frau", "eine Frau aus Syrien" or "Frau Weber hier" (the employer) do not.
_TITLE = re.compile(r"\b(herrn?|frau|mr|mrs|ms)\s+(\w+)(\s+\w+)?")
_NOT_A_NAME = frozenset(
    "aus mit die der ist hat von in im als und oder kommt will sucht darf kann from with is has".split()
)
_NOT_TITLED = frozenset("meine meiner meinen seine seiner ihre eine einer die der my his a the".split())
# Nor does a salutation: employers greet the human they think reads the chat ("Hallo Frau Schmidt, darf ...",
# "..., Herr Meier?") or sign off ("Viele Grüße, Frau Lange"). A title is a salutation when a greeting stands
# right before it (phone style often has no comma), or when greeting, title and name form the first or the
# last clause of the message on their own. "Herrn" is never addressed: "für Herrn Ahmadi?" stays a case.
_GREETING = (
    r"(?:hallo|hello|hi|hey|moin|servus|dear|liebe|lieber|danke|thanks|thank\s+you|regards|gruss\s+gott"
    r"|(?:guten|good)\s+(?:tag|morgen|abend|morning|afternoon|evening)|sehr\s+geehrter?"
    r"|(?:\w+\s+){0,2}grus(?:s|se|sen))"
)
_GREETED = re.compile(rf"(?:^|\s){_GREETING}\s*$")
_SALUTATION = re.compile(rf"(?:{_GREETING}\s+)?(?:herr|frau|mr|mrs|ms)\s+\w+")
_CLAUSE_END = re.compile(r"[,;:!?\n]+")  # not ".": "Mr. Haidar", "Herr M. hat eine Duldung"


def names_a_person(text: str) -> bool:
    """Whether a text names someone by title ("Herrn Rahimi"), not a wife, a woman, the writer or the reader.

    Takes the text as typed: its commas and question marks tell a salutation ("..., Herr Meier?") from a
    person talked about. A folded text works too, without them.
    """
    if not _TITLE.search(fold(text)):
        return False
    clauses = [clause for clause in map(fold, _CLAUSE_END.split(text)) if clause]
    for i, clause in enumerate(clauses):
        if i in (0, len(clauses) - 1) and _SALUTATION.fullmatch(clause):
            continue
        for match in _TITLE.finditer(clause):
            before = clause[: match.start()].split()[-1:]
            after = (match.group(3) or "").strip()
            if match.group(2) in _NOT_A_NAME or (before and before[0] in _NOT_TITLED) or after in ("hier", "here"):
                continue
            if match.group(1) != "herrn" and _GREETED.search(clause[: match.start()].rstrip()):
                continue
            return True
    return False


class TermMatcher:
    """Which topics' terms a folded text contains, as feature columns (one per topic, then `domain` and
    `person`: the question names someone by title, see names_a_person).

    Each word of a term matches a word that starts with it (after dropping an inflection ending,
    see term_word): "Duldung" finds "Duldungsbescheinigung" and "sichere Herkunftsstaat" finds
    "sicheren Herkunftsstaaten". A German compound's head is its last part, so "Ausbildungsduldung"
    does not match "Duldung"; that topic lists its own term. Words of up to 3 letters match whole.
    """

    REMEMBERED_WORDS = 50_000

    def __init__(
        self,
        terms: Mapping[str, Iterable[str]],
        topic_value: float = 1.0,
        domain_value: float = 1.0,
        offset: int = 0,
        field_words: Iterable[str] = FIELD_WORDS,
        out_of_field: Iterable[str] = (),
        person: bool = True,
    ):
        """Args:
        terms: each topic's key terms.
        topic_value, domain_value: the feature values of a topic's column and of the domain and person columns.
        offset: the first column's place in the classifier's feature space.
        field_words: words that set only the domain column (FIELD_WORDS).
        out_of_field: out_of_scope example questions; a term or field word found in one of them
            does not set the domain column (it still sets its topic's column).
        person: set the person column when a text names someone by title (names_a_person).
        """
        self.labels: tuple[str, ...] = tuple(sorted(terms))
        # the feature value of each column: the topics' columns, the domain column, the person column
        self.values = np.array([topic_value] * len(self.labels) + [domain_value, domain_value], dtype=np.float32)
        self.offset = offset
        self.person = person
        # first word of a term -> (the term's other words, column, entry number); column None: a field word
        self._exact: dict[str, list[_Entry]] = {}
        self._prefix: dict[str, list[_Entry]] = {}
        self.entries: list[str] = []
        named = [(term, column) for column, label in enumerate(self.labels) for term in terms[label]]
        for term, column in named + [(word, None) for word in field_words if self.labels]:
            words = tuple(term_word(w) for w in fold(term).split())
            if words:
                index = self._exact if len(words[0]) <= 3 else self._prefix
                index.setdefault(words[0], []).append((words[1:], column, len(self.entries)))
                self.entries.append(term)
        self._lengths = sorted({len(w) for w in self._prefix})
        self._starts: dict[str, tuple[_Entry, ...]] = {}
        self.size = len(self.labels) + 2 if self.labels else 0
        # entries that say nothing about the field: they also occur in questions out of it
        self.generic: frozenset[int] = frozenset(n for text in out_of_field for n in self._found(fold(text)))

    @property
    def domain_column(self) -> int:
        return len(self.labels)

    @property
    def person_column(self) -> int:
        return len(self.labels) + 1

    def _starting_at(self, word: str) -> tuple[_Entry, ...]:
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

    def _found(self, folded: str) -> dict[int, int | None]:
        """The entries (terms and field words) a folded text contains: entry number -> topic column."""
        words = folded.split()
        found: dict[int, int | None] = {}
        for i, word in enumerate(words):
            for rest, column, entry in self._starting_at(word):
                if not rest or (
                    len(words) - i - 1 >= len(rest)
                    and all(_matches(p, w) for p, w in zip(rest, words[i + 1 :], strict=False))
                ):
                    found[entry] = column
        return found

    def columns(self, folded: str, text: str | None = None) -> np.ndarray:
        """Feature columns (with the offset) set for a folded text: the topics whose terms occur, the
        domain column when a term or field word occurs that is not generic, the person column when the
        text names someone by title; empty when none is set. `text`: the text as typed, whose
        punctuation tells a salutation from a person named (names_a_person); else the folded one."""
        if not self.size:
            return _NONE
        found = self._found(folded)
        columns = {column for column in found.values() if column is not None}
        if any(entry not in self.generic for entry in found):
            columns.add(self.domain_column)
        if self.person and names_a_person(folded if text is None else text):
            columns.add(self.person_column)
        if not columns:
            return _NONE
        return np.fromiter(sorted(columns), dtype=np.intp, count=len(columns)) + self.offset

    def topics_of(self, columns: np.ndarray) -> tuple[str, ...]:
        """The topics of columns that columns() returned."""
        return tuple(self.labels[c - self.offset] for c in columns.tolist() if c - self.offset < len(self.labels))

    def matched(self, text: str) -> tuple[str, ...]:
        """The topics whose terms a raw text contains."""
        return self.topics_of(self.columns(fold(text), text))

    def weights(self, columns: np.ndarray) -> np.ndarray:
        """The feature values of columns that columns() returned."""
        return self.values[columns - self.offset]

    def matrix(self, folded_texts: Sequence[str], texts: Sequence[str] | None = None) -> sp.csr_matrix:
        """The term features of many folded texts (and the same texts as typed), without the offset, for training."""
        import scipy.sparse as sp  # training only: a serving process never loads SciPy

        rows, cols = [], []
        for row, folded in enumerate(folded_texts):
            columns = self.columns(folded, texts[row] if texts is not None else None) - self.offset
            rows.extend([row] * len(columns))
            cols.extend(columns.tolist())
        data = self.values[np.array(cols, dtype=np.intp)] if cols else np.empty(0, dtype=np.float32)
        return sp.csr_matrix((data, (rows, cols)), shape=(len(folded_texts), self.size), dtype=np.float32)
