"""faq/_law-changes.yml: dated changes of the law, so that `faq check` names the answers they may have made stale."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.knowledge.model import NormText, Topic
from bot.knowledge.norms import parse_norm
from bot.knowledge.yaml_lines import line_of, load_with_lines

LAW_CHANGES_FILE = "_law-changes.yml"


class LawChange(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    date: dt.date | None = None  # the day the change came into force; None only while planned
    planned: bool = False  # announced, not yet law: listed, never a warning
    norms: tuple[NormText, ...] = Field(min_length=1)
    summary: str = Field(min_length=1)
    source: str = Field(min_length=1)  # where the change is documented: gazette, portal, domain-facts item

    @model_validator(mode="after")
    def _dated(self) -> LawChange:
        if self.date is None and not self.planned:
            raise ValueError("a change in force needs its date (YYYY-MM-DD); mark announced ones 'planned: true'")
        return self

    @property
    def label(self) -> str:
        return f"{self.date or 'planned'} {', '.join(self.norms)}: {self.summary}"


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    changes: tuple[LawChange, ...] = ()


@dataclass(frozen=True)
class StaleTopic:
    """A topic whose legal basis changed after its last review."""

    topic_id: str
    reviewed: dt.date
    change: LawChange

    @property
    def message(self) -> str:
        return (
            f"{self.topic_id}: the law changed after its review on {self.reviewed}: {self.change.label} "
            f"(source: {self.change.source})"
        )


def load_law_changes(path: Path) -> tuple[list[LawChange], list[tuple[int | None, str]]]:
    """The changes, and the problems as (line, message); a missing file is no change at all."""
    if not path.exists():
        return [], []
    try:
        raw = load_with_lines(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return [], [(mark.line + 1 if mark else None, f"not valid YAML: {exc.problem or exc}")]
    try:
        return list(_File.model_validate(raw or {}).changes), []
    except ValidationError as exc:
        errors = exc.errors()
        locs = [tuple(e["loc"]) for e in errors]
        # a bad norm also empties its list; the norm's own message says what to fix
        deepest = [
            e for e, loc in zip(errors, locs, strict=True) if not any(o[: len(loc)] == loc and o != loc for o in locs)
        ]
        return [], [(line_of(raw, tuple(e["loc"])), f"{'.'.join(map(str, e['loc']))}: {e['msg']}") for e in deepest]


def stale_topics(topics: Iterable[Topic], changes: Iterable[LawChange], today: dt.date) -> list[StaleTopic]:
    """Every (topic, change) where a norm of the topic's legal basis changed after `reviewed` and by `today`.

    A change dated in the future warns from its day on: the answer may describe it in advance,
    but whoever checks it on that day sees whether the text still reads right.
    """
    keyed = [
        (c, c.date, {parse_norm(n).key for n in c.norms})
        for c in changes
        if not c.planned and c.date is not None and c.date <= today
    ]
    found = []
    for topic in topics:
        basis = {parse_norm(n).key for n in topic.legal_basis or ()}
        for change, date, keys in keyed:
            if date > topic.reviewed and basis & keys:
                found.append(StaleTopic(topic.id, topic.reviewed, change))
    return found
