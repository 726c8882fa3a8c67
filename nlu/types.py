"""The classifier contract shared by every backend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

# Labels that are not FAQ topics. Topic ids always contain a dot ("status.tolerated"),
# route labels never do, so the two can share one label space.
ROUTE_LABELS = ("authority", "coordinator", "out_of_scope", "smalltalk")


def is_topic(label: str) -> bool:
    return "." in label


@dataclass(frozen=True, slots=True)
class TrainingExample:
    text: str
    label: str
    lang: str
    kind: str = "example"  # "example": a question; "term": an editor's key term of the topic (lang "")


@dataclass(frozen=True, slots=True)
class Scored:
    label: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Classification:
    """Ranked labels (best first, confidences summing to about 1) and the detected language."""

    text: str
    lang: str
    lang_confidence: float
    ranking: tuple[Scored, ...]
    backend: str = "embedded"
    # Topics whose editors' key terms (faq `terms:`) occur in the text; () when none does, None when
    # the backend does not look for terms (Rasa). The decision rule reads it (bot/decision.py).
    term_topics: tuple[str, ...] | None = None

    @property
    def top(self) -> Scored:
        return self.ranking[0]

    def confidence_of(self, label: str) -> float:
        return next((s.confidence for s in self.ranking if s.label == label), 0.0)


@runtime_checkable
class IntentClassifier(Protocol):
    """What the dialogue needs from a classifier; the embedded and the Rasa backend implement it."""

    name: str

    async def classify(self, text: str) -> Classification: ...

    async def close(self) -> None: ...
