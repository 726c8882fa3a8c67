"""Districts' FAQ overlays (faq/districts/<id>/*.yml): local wording of shared topics, local topics.

A district overlays the shared FAQ; it never edits it. `overrides:` give a shared topic the
district's own answer text or steps (who to call, in which order, with addresses). `topics:` add
topics only that district has, such as its process chain for hiring a refugee. The shared legal
answers stay one file for all: an override whose text brings legal facts the shared topic does not
state (a norm, a period, an amount) must carry its own `legal_basis` and `reviewed`, or it is refused.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from pydantic import Field

from bot.config import Config
from bot.knowledge.loader import (
    HARD_ANSWER_LIMIT,
    CheckSettings,
    FaqError,
    Issue,
    _check_content,
    _parse_as,
    _Parsed,
)
from bot.knowledge.model import Area, AreaHeader, Faq, NormText, Source, Text, TextList, Topic, _Strict, placeholders_in
from bot.knowledge.yaml_lines import line_of

# What counts as a legal fact in a text: a cited norm, or a number with a period, an amount or a share.
_NORM = re.compile(r"(?:§+|art\.?|artikel)\s*\d+\s*[a-z]?\b", re.IGNORECASE)
_QUANTITY = re.compile(
    r"\b\d+(?:[.,]\d+)*\s*(?:%|€|euro\b|eur\b|prozent|monat\w*|jahr\w*|woche\w*|tag\w*|stunde\w*|"
    r"month\w*|year\w*|week\w*|day\w*|hour\w*)",
    re.IGNORECASE,
)


class TopicOverride(_Strict):
    """A shared topic in a district's words: only what is local may change without its own legal check."""

    id: str = Field(pattern=r"^[a-z0-9_]+\.[a-z0-9_]+$")
    answer: Text | None = None
    steps: TextList | None = None
    legal_basis: tuple[NormText, ...] | None = None
    sources: tuple[Source, ...] | None = None
    reviewed: dt.date | None = None
    reviewed_by: str | None = Field(None, min_length=1)


class OverlayFile(_Strict):
    area: AreaHeader | None = None  # where the district's own topics are listed; needed with `topics:`
    overrides: tuple[TopicOverride, ...] = ()
    topics: tuple[Topic, ...] = ()


def overlay_folders(config: Config) -> dict[str, Path]:
    """Each district's overlay folder that exists: districts.<id>.faq, else <faq.path>/districts/<id>."""
    base = config.resolve(config.faq.path) / "districts"
    folders = {
        key: config.resolve(district.faq) if district.faq else base / key for key, district in config.districts.items()
    }
    return {key: folder for key, folder in folders.items() if folder.is_dir()}


def overlay_files(folders: dict[str, Path]) -> list[Path]:
    return [path for folder in folders.values() for path in sorted(folder.glob("*.yml"))]


def legal_facts(texts: Iterable[str]) -> set[str]:
    """The norms and quantities a text states, normalised ("§ 60a", "3 monate")."""
    found = set()
    for text in texts:
        for match in (*_NORM.finditer(text), *_QUANTITY.finditer(text)):
            found.add(" ".join(match.group(0).lower().replace("§", "§ ").split()))
    return found


def _texts(answer: Text | None, steps: TextList | None) -> list[str]:
    texts = [answer.de, answer.en] if answer else []
    return texts + ([*steps.de, *steps.en] if steps else [])


def apply_overlays(faq: Faq, folders: dict[str, Path], settings: CheckSettings) -> tuple[Faq, list[Issue]]:
    """The shared FAQ with the districts' overlays laid over it.

    Raises:
        FaqError: an overlay has errors (file and line each); the shared FAQ itself is not touched.
    """
    issues: list[Issue] = []
    topics, areas = dict(faq.topics), list(faq.areas)
    local_to: dict[str, str] = {}
    overrides: dict[tuple[str, str], Topic] = {}
    origin: dict[str, tuple[_Parsed, tuple]] = {}
    for district, folder in folders.items():
        for path in sorted(folder.glob("*.yml")):
            parsed = _parse_as(path, OverlayFile, issues, "'overrides:' and/or 'area:' with 'topics:'")
            if parsed is None:
                continue
            overlay = parsed.model
            assert isinstance(overlay, OverlayFile)
            for index, override in enumerate(overlay.overrides):
                where = (parsed, ("overrides", index))
                topic = _override(faq, district, override, where, settings, issues)
                if topic is not None:
                    overrides[(district, override.id)] = topic
            if overlay.topics and overlay.area is None:
                issues.append(_issue(parsed, ("topics",), "local topics need an 'area:' (id and title)", ""))
                continue
            for index, topic in enumerate(overlay.topics):
                where = (parsed, ("topics", index))
                assert overlay.area is not None
                if topic.id in topics:
                    owner = local_to.get(topic.id)
                    used = f"the local topics of {owner}" if owner else "the shared FAQ"
                    issues.append(_issue(parsed, ("topics", index, "id"), f"topic id '{topic.id}' is in {used}", ""))
                    continue
                if not topic.id.startswith(overlay.area.id + "."):
                    issues.append(
                        _issue(
                            parsed, ("topics", index, "id"), f"topic '{topic.id}' is in area '{overlay.area.id}'", ""
                        )
                    )
                topics[topic.id], local_to[topic.id], origin[topic.id] = topic, district, where
            if overlay.topics and overlay.area is not None:
                areas.append(Area(overlay.area.id, overlay.area.title, tuple(t.id for t in overlay.topics)))
    local = {key: topics[key] for key in local_to}
    issues.extend(_check_content(local, {}, origin, settings, complete=False))
    for topic_id, topic in local.items():
        for index, related in enumerate(topic.related):
            if not (related in topics and local_to.get(related, local_to[topic_id]) == local_to[topic_id]):
                message = f"{topic_id}: related topic '{related}' does not exist in {local_to[topic_id]}"
                issues.append(_issue(origin[topic_id][0], (*origin[topic_id][1], "related", index), message, ""))
    if any(issue.severity == "error" for issue in issues):
        raise FaqError(issues)
    return replace(faq, topics=topics, areas=tuple(areas), local_to=local_to, overrides=overrides), issues


def _issue(parsed: _Parsed, loc: tuple, message: str, fix: str, severity: str = "error") -> Issue:
    return Issue(severity, parsed.path, line_of(parsed.raw, loc), message, fix)  # type: ignore[arg-type]


def _override(
    faq: Faq,
    district: str,
    override: TopicOverride,
    where: tuple[_Parsed, tuple],
    settings: CheckSettings,
    issues: list[Issue],
) -> Topic | None:
    """The shared topic with the district's wording, or None (and issues) when the override is wrong."""
    parsed, loc = where
    shared = faq.topics.get(override.id)
    if shared is None or override.id in faq.local_to:
        issues.append(
            _issue(
                parsed,
                (*loc, "id"),
                f"{district}: no shared topic '{override.id}' to override",
                "name a topic id of faq/*.yml, or add it under 'topics:'",
            )
        )
        return None
    before = len(issues)
    texts = _texts(override.answer, override.steps)
    for unknown in sorted(set().union(set(), *map(placeholders_in, texts)) - settings.placeholders):
        issues.append(_issue(parsed, (*loc, "answer"), f"{override.id}: unknown placeholder {{{unknown}}}", ""))
    for lang in ("de", "en"):
        if override.answer and len(override.answer.get(lang)) > HARD_ANSWER_LIMIT:
            issues.append(_issue(parsed, (*loc, "answer", lang), f"{override.id}: the {lang} answer is too long", ""))
    new_facts = sorted(legal_facts(texts) - legal_facts(_texts(shared.answer, shared.steps)))
    changes_basis = override.legal_basis is not None or override.sources is not None
    if (new_facts or changes_basis) and (override.legal_basis is None or override.reviewed is None):
        what = f"states {', '.join(repr(f) for f in new_facts)}" if new_facts else "changes its legal basis"
        issues.append(
            _issue(
                parsed,
                (*loc, "id"),
                f"{district}: the override of {override.id} {what}, which the shared topic does not: "
                "a change of legal facts needs its own 'legal_basis:' and 'reviewed:'",
                "keep the law in the shared topic and only say who does what locally, or add legal_basis: "
                "and reviewed: (the day a person checked it against the law)",
            )
        )
    if override.reviewed and override.reviewed > settings.today:
        issues.append(_issue(parsed, (*loc, "reviewed"), f"{override.id}: reviewed date is in the future", ""))
    if len(issues) > before:
        return None
    update = {key: value for key, value in override.model_dump(exclude={"id"}, exclude_none=True).items()}
    return shared.model_validate({**shared.model_dump(), **update})
