"""`faq check --routing`: does the classifier still tell the topics apart after an edit?

Each topic's example questions are held out in turn (stratified k-fold, fixed folds, so two runs
on the same FAQ agree) and classified by a model trained on the rest, with all titles: the
embedded model's features and linear SVM (nlu/embedded.py), without its probability calibration
and language model, which only the confidences need and which would triple the time. The
result per topic: how many of its examples came back to it, and which other label took the
rest. The last run without a regression is kept in var/ (untracked); a topic that now does worse
is named together with the topics edited since then, which is where an editor looks first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import scipy.sparse as sp
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from bot.knowledge.model import LANGS, Faq
from nlu.embedded import EmbeddedSettings
from nlu.embedded import _vectorizers as embedded_vectorizers  # the production features, not a copy of them
from nlu.text import fold
from nlu.types import TrainingExample

FOLDS = 5
WORSE_BY = 0.10  # a topic's share of examples routed right dropped at least this much ...
WORSE_COUNT = 2  # ... and at least this many more of its examples went wrong
STATE_FILE = "faq-routing.json"


@dataclass
class RoutingReport:
    recall: dict[str, float]  # topic -> share of its examples routed back to it
    counts: dict[str, int]
    confusions: dict[tuple[str, str], list[str]]  # (topic, taken by) -> the examples
    fingerprints: dict[str, str]
    worse: list[str] = field(default_factory=list)  # lines naming regressions and the edits behind them
    previous: dict | None = None

    @property
    def accuracy(self) -> float:
        total = sum(self.counts.values())
        return sum(self.recall[t] * n for t, n in self.counts.items()) / total if total else 1.0

    def pairs(self) -> list[tuple[str, str, int, str]]:
        """Confused (topic, other label, count, one example), most confused first."""
        rows = [(a, b, len(texts), texts[0]) for (a, b), texts in self.confusions.items()]
        return sorted(rows, key=lambda r: (-r[2], r[0], r[1]))

    def lines(self, limit: int = 25) -> list[str]:
        out = [
            f"routing: {self.accuracy:.1%} of {sum(self.counts.values())} topic examples routed back to their "
            f"topic ({FOLDS}-fold cross-validation)"
        ]
        pairs = self.pairs()
        if pairs:
            out.append("confused (topic -> taken by: count, an example):")
            out += [f'  {a} -> {b}: {n}, e.g. "{example}"' for a, b, n, example in pairs[:limit]]
            if len(pairs) > limit:
                out.append(f"  ... and {len(pairs) - limit} more pairs")
        if self.previous:
            out.append(f"last good run: {self.previous.get('date', '?')}, {self.previous.get('accuracy', 0):.1%}")
        out += self.worse
        return out


def fingerprints(faq: Faq) -> dict[str, str]:
    """A short hash of what the classifier learns from each topic (title and examples)."""
    result = {}
    for topic in faq.topics.values():
        text = "\n".join(topic.title.get(lang) + "\n" + "\n".join(topic.examples.get(lang)) for lang in LANGS)
        result[topic.id] = hashlib.sha256(text.encode()).hexdigest()[:12]
    return result


def _fold_predictions(
    train: list[TrainingExample], test: list[TrainingExample], settings: EmbeddedSettings
) -> list[str]:
    vectorizers = embedded_vectorizers(settings)
    train_texts, test_texts = [fold(e.text) for e in train], [fold(e.text) for e in test]
    features = sp.hstack([v.fit_transform(train_texts) for v in vectorizers]).tocsr()
    model = LinearSVC(C=settings.regularisation).fit(features, [e.label for e in train])
    held_out = sp.hstack([v.transform(test_texts) for v in vectorizers]).tocsr()
    return [str(label) for label in model.predict(held_out)]


def cross_validate(faq: Faq, settings: EmbeddedSettings | None = None) -> RoutingReport:
    settings = settings or EmbeddedSettings()
    titles = [TrainingExample(t.title.get(lang), t.id, lang) for t in faq.topics.values() for lang in LANGS]
    title_set = set(titles)
    examples = [e for e in faq.training_examples() if e not in title_set]
    labels = [e.label for e in examples]
    folds = StratifiedKFold(n_splits=min(FOLDS, min(Counter(labels).values())), shuffle=False)
    right: Counter[str] = Counter()
    confusions: dict[tuple[str, str], list[str]] = defaultdict(list)
    for train, test in folds.split(examples, labels):
        held_out = [examples[i] for i in test]
        for example, taken in zip(
            held_out, _fold_predictions(titles + [examples[i] for i in train], held_out, settings), strict=True
        ):
            if taken == example.label:
                right[example.label] += 1
            elif "." in example.label:
                confusions[(example.label, taken)].append(example.text)
    counts = Counter(e.label for e in examples if "." in e.label)
    recall = {topic: right[topic] / n for topic, n in counts.items()}
    return RoutingReport(recall, dict(counts), dict(confusions), fingerprints(faq))


def compare(report: RoutingReport, state: Path) -> RoutingReport:
    """Name topics that do worse than in the last good run, and the edits since; keep this run if none do."""
    previous = json.loads(state.read_text(encoding="utf-8")) if state.exists() else None
    report.previous = previous
    if previous:
        edited = sorted(t for t, h in report.fingerprints.items() if previous.get("fingerprints", {}).get(t) != h)
        for topic, now in sorted(report.recall.items()):
            before, n = previous.get("recall", {}).get(topic), report.counts[topic]
            if before is None or before - now < WORSE_BY or round((before - now) * n) < WORSE_COUNT:
                continue
            takers = sorted(
                ((len(texts), b) for (a, b), texts in report.confusions.items() if a == topic), reverse=True
            )
            suspects = [t for t in edited if t == topic or t in {b for _, b in takers}] or edited
            report.worse.append(
                f"WORSE: {topic}: {before:.0%} -> {now:.0%} of its examples routed right, now taken by "
                f"{', '.join(b for _, b in takers[:3])}; edited since the last good run: "
                f"{', '.join(suspects) or 'no topic (routes?)'}"
            )
    if not report.worse:
        state.parent.mkdir(parents=True, exist_ok=True)
        state.write_text(
            json.dumps(
                {
                    "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "accuracy": report.accuracy,
                    "recall": report.recall,
                    "fingerprints": report.fingerprints,
                },
                indent=1,
            ),
            encoding="utf-8",
        )
    return report
