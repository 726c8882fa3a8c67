"""Routing quality on a labelled question set (the format of shared/eval/dev.yml)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.decision import Route
from bot.dialogue import Dialogue

ROUTES = ("authority", "coordinator", "out_of_scope", "smalltalk")
KINDS = ("topic",) + ROUTES


@dataclass(frozen=True)
class Case:
    text: str
    lang: str
    expect: str  # a topic id, or "route:<name>"

    @property
    def kind(self) -> str:
        """topic, or the expected route (authority, coordinator, out_of_scope, smalltalk)."""
        return self.expect.removeprefix("route:") if self.expect.startswith("route:") else "topic"


@dataclass(frozen=True)
class Outcome:
    case: Case
    route: str
    faq_id: str | None
    candidates: tuple[str, ...]
    lang: str

    @property
    def expected_route(self) -> str | None:
        return self.case.expect.removeprefix("route:") if self.case.expect.startswith("route:") else None

    @property
    def correct(self) -> bool:
        if self.expected_route:
            return self.route == self.expected_route
        if self.route == Route.ANSWER:
            return self.faq_id == self.case.expect
        return self.route == Route.CLARIFY and self.case.expect in self.candidates[:3]

    @property
    def wrong_answer(self) -> bool:
        return self.route == Route.ANSWER and self.faq_id != self.case.expect

    @property
    def predicted(self) -> str:
        return (self.faq_id or "") if self.route == Route.ANSWER else self.route

    @property
    def went(self) -> str:
        """Where the question went, for the confusion table: a topic answered, a route, or a clarification
        that did or did not offer the expected topic."""
        if self.route == Route.CLARIFY and not self.expected_route:
            return "clarify (offered)" if self.correct else "clarify (not offered)"
        return self.predicted or self.route


@dataclass
class Report:
    outcomes: list[Outcome]
    seconds: float
    per_route: dict[str, tuple[int, int]] = field(default_factory=dict)

    def rate(self, predicate) -> float:
        return sum(1 for o in self.outcomes if predicate(o)) / max(len(self.outcomes), 1)

    @property
    def correct(self) -> float:
        return self.rate(lambda o: o.correct)

    @property
    def wrong(self) -> float:
        return self.rate(lambda o: o.wrong_answer)

    @property
    def clarify(self) -> float:
        return self.rate(lambda o: o.route == Route.CLARIFY)

    @property
    def language(self) -> float:
        return self.rate(lambda o: o.lang == o.case.lang)

    def recall(self, *routes: str) -> float | None:
        relevant = [o for o in self.outcomes if o.expected_route in routes]
        return sum(o.correct for o in relevant) / len(relevant) if relevant else None

    def confused(self, most: int = 8) -> list[tuple[tuple[str, str], int]]:
        pairs = Counter((o.case.expect, o.predicted) for o in self.outcomes if not o.correct)
        return pairs.most_common(most)

    def subset(self, predicate) -> Report:
        chosen = [o for o in self.outcomes if predicate(o)]
        return Report(chosen, self.seconds * len(chosen) / max(len(self.outcomes), 1))

    def confusion(self) -> dict[str, Counter]:
        """Gold label -> where its questions went (how many each), gold labels sorted."""
        table: dict[str, Counter] = {}
        for o in self.outcomes:
            table.setdefault(o.case.expect, Counter())[o.went] += 1
        return dict(sorted(table.items()))

    def confusion_lines(self, everything: bool = False) -> list[str]:
        """The confusion table; without `everything`, gold labels routed right every time are left out."""
        rows = []
        for gold, went in self.confusion().items():
            n = sum(went.values())
            right = sum(1 for o in self.outcomes if o.case.expect == gold and o.correct)
            right_places = {gold, gold.removeprefix("route:"), "clarify (offered)"}
            elsewhere = [(target, count) for target, count in went.most_common() if target not in right_places]
            if elsewhere or everything:
                where = ", ".join(f"{target} x {count}" for target, count in elsewhere) or "-"
                rows.append(f"  {gold:<38} {n:>4} {right / n:>6.2f}  {where}")
        if not rows:
            return ["confusion: every question went where it should"]
        return [
            "confusion (gold label -> where the misrouted went; labels always right are left out):"
            if not everything
            else "confusion (gold label -> where the misrouted went):",
            f"  {'gold label':<38} {'n':>4} {'right':>6}  went elsewhere",
        ] + rows

    def group_lines(self, title: str, key, order: tuple[str, ...] = ()) -> list[str]:
        """The main figures per group of questions (key: Outcome -> group name)."""
        groups = sorted(
            {key(o) for o in self.outcomes}, key=lambda g: (order.index(g) if g in order else len(order), g)
        )
        out = [f"by {title}:", f"  {title:<14} {'n':>4} {'correct':>8} {'wrong':>6} {'clarify':>8}"]
        for group in groups:
            part = self.subset(lambda o, g=group: key(o) == g)
            out.append(
                f"  {group:<14} {len(part.outcomes):>4} {part.correct:>8.3f} {part.wrong:>6.3f} {part.clarify:>8.3f}"
            )
        return out

    def lines(self) -> list[str]:
        n = len(self.outcomes)
        out = [
            f"questions:          {n}",
            f"correct:            {self.correct:.3f}",
            f"wrong answers:      {self.wrong:.3f}",
            f"clarify rate:       {self.clarify:.3f}",
            f"language detected:  {self.language:.3f}",
        ]
        for route in ROUTES:
            recall = self.recall(route)
            if recall is not None:
                out.append(f"recall {route + ':':<13}{recall:.3f}")
        both = self.recall("authority", "coordinator")
        if both is not None:
            out.append(f"recall hand-over:   {both:.3f}  (authority and coordinator together)")
        out.append(f"time per question:  {self.seconds / max(n, 1) * 1000:.2f} ms")
        if self.confused():
            out.append("most confused (expected -> got):")
            out += [f"  {count} x {exp} -> {got}" for (exp, got), count in self.confused()]
        return out


def load_cases(path: Path) -> list[Case]:
    """The labelled questions of a file like shared/eval/dev.yml.

    Raises:
        ValueError: the file is no list of {text, lang, expect}; the message names the first bad item.
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(data, list):
        raise ValueError("expected a YAML list of {text, lang, expect}")
    cases = []
    for number, item in enumerate(data, 1):
        missing = [key for key in ("text", "expect") if not isinstance(item, dict) or key not in item]
        if missing:
            raise ValueError(f"item {number} has no {' and no '.join(missing)} (each item: {{text, lang, expect}})")
        cases.append(Case(str(item["text"]), str(item.get("lang", "")), str(item["expect"])))
    return cases


async def evaluate(dialogue: Dialogue, cases: list[Case]) -> Report:
    started = time.perf_counter()
    outcomes = []
    for case in cases:
        understood = await dialogue.understand(case.text)
        d = understood.decision
        outcomes.append(
            Outcome(
                case,
                d.route.value,
                d.faq_id if d.route is Route.ANSWER else None,
                tuple(c.label for c in d.candidates),
                understood.lang,
            )
        )
    return Report(outcomes, time.perf_counter() - started)
