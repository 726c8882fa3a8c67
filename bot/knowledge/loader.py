"""Load faq/*.yml into a Faq and check it the way an editor needs: file, line, how to fix."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

import yaml
from pydantic import BaseModel, ValidationError

from bot.knowledge.model import LANGS, Area, AreaFile, Faq, RoutesFile, TextList, Topic, placeholders_in
from bot.knowledge.yaml_lines import duplicate_keys, line_of, load_with_lines
from nlu.text import fold

ROUTES_FILE = "routes.yml"
MIN_EXAMPLES = {"de": 15, "en": 8}
MIN_ROUTE_EXAMPLES = {"authority": 30, "coordinator": 30, "out_of_scope": 30, "smalltalk": 10}
HARD_ANSWER_LIMIT = 1500


@dataclass(frozen=True)
class Issue:
    severity: Literal["error", "warning"]
    file: Path
    line: int | None
    message: str
    fix: str = ""
    kind: str = ""  # e.g. "stale_law": lets the console pick the warnings it shows

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        hint = f"\n    how to fix: {self.fix}" if self.fix else ""
        return f"{where}: {self.severity}: {self.message}{hint}"


class FaqError(Exception):
    """The FAQ has errors; `issues` lists them (and any warnings)."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        errors = [i for i in issues if i.severity == "error"]
        super().__init__(f"{len(errors)} error(s) in the FAQ, first: {errors[0] if errors else '-'}")


@dataclass
class CheckSettings:
    placeholders: frozenset[str]
    required_topics: Path | None = None
    max_answer_chars: int = 900
    review_max_age_days: int = 365
    today: dt.date = field(default_factory=dt.date.today)


@dataclass
class _Parsed:
    path: Path
    raw: Any
    model: Any  # AreaFile, RoutesFile, or a district's OverlayFile (bot/knowledge/overlay.py)


def faq_files(directory: Path) -> list[Path]:
    """The editors' files: *.yml in the folder, without helper files starting with '_'."""
    return sorted(p for p in directory.glob("*.yml") if not p.name.startswith("_"))


def _parse(path: Path, issues: list[Issue]) -> _Parsed | None:
    if path.name == ROUTES_FILE:
        return _parse_as(path, RoutesFile, issues, "'routes:'")
    return _parse_as(path, AreaFile, issues, "'area:' and 'topics:'")


def _parse_as(path: Path, model_type: type[BaseModel], issues: list[Issue], layout: str) -> _Parsed | None:
    """Read `path` and validate it as `model_type`; problems go to `issues` with their lines."""
    try:
        raw = load_with_lines(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        issues.append(
            Issue(
                "error",
                path,
                mark.line + 1 if mark else None,
                f"not valid YAML: {exc.problem or exc}",
                "check indentation (spaces, not tabs) and quote text that contains ': ' "
                "or starts with a special character",
            )
        )
        return None
    except (OSError, UnicodeDecodeError) as exc:
        issues.append(Issue("error", path, None, f"cannot read the file: {exc}", "save it as UTF-8 text"))
        return None
    for key, line in duplicate_keys(raw):
        issues.append(
            Issue(
                "error",
                path,
                line,
                f"the key '{key}' appears twice in the same block",
                "remove or rename one of them; only the last one would count",
            )
        )
    if not isinstance(raw, dict):
        issues.append(
            Issue(
                "error", path, 1, f"the file must be a mapping with {layout}", "start from the example in faq/README.md"
            )
        )
        return None
    try:
        return _Parsed(path, raw, model_type.model_validate(raw))
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            issues.append(
                Issue(
                    "error", path, line_of(raw, loc), f"{'.'.join(map(str, loc))}: {error['msg']}", _schema_fix(error)
                )
            )
        return None


def _schema_fix(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind == "missing":
        return f"add '{error['loc'][-1]}' (see faq/README.md for the layout)"
    if kind == "extra_forbidden":
        return "remove the key or fix its spelling (see faq/README.md for the allowed keys)"
    if kind == "string_pattern_mismatch":
        return "ids are lower-case words joined by one dot, e.g. status.tolerated"
    if kind.startswith("date"):
        return "write the date as YYYY-MM-DD, e.g. 2026-11-22"
    if "legal_basis" in error["loc"]:
        return "one norm per entry, e.g. [AufenthG § 60a, AsylG § 61] (see faq/README.md)"
    return "see faq/README.md for what this key takes"


def load_faq(directory: Path, settings: CheckSettings) -> tuple[Faq, list[Issue]]:
    """Parse and check every FAQ file.

    Args:
        directory: the faq/ folder.
        settings: limits and known placeholders from the configuration.

    Returns:
        The FAQ and the warnings.

    Raises:
        FaqError: when any file has an error; it lists all issues found.
    """
    issues: list[Issue] = []
    files = faq_files(directory)
    if not files:
        raise FaqError([Issue("error", directory, None, "no *.yml files found", "check faq.path in config.yml")])
    parsed = [p for p in (_parse(path, issues) for path in files) if p]
    areas: list[Area] = []
    topics: dict[str, Topic] = {}
    routes: dict[str, TextList] = {}
    origin: dict[str, tuple[_Parsed, tuple[str | int, ...]]] = {}
    for item in parsed:
        if isinstance(item.model, RoutesFile):
            for index, route in enumerate(item.model.routes):
                if route.id in routes:
                    issues.append(
                        Issue(
                            "error",
                            item.path,
                            line_of(item.raw, ("routes", index)),
                            f"route '{route.id}' is listed twice",
                            "merge the two lists",
                        )
                    )
                routes[route.id] = route.examples
                origin[route.id] = (item, ("routes", index))
            continue
        area = item.model.area
        for index, topic in enumerate(item.model.topics):
            where = (item, ("topics", index))
            if topic.id in topics:
                first = origin[topic.id]
                issues.append(
                    Issue(
                        "error",
                        item.path,
                        _line(where, ("id",)),
                        f"topic id '{topic.id}' already used at {first[0].path.name}:{_line(first, ('id',))}",
                        "give each topic a unique id",
                    )
                )
            if not topic.id.startswith(area.id + "."):
                issues.append(
                    Issue(
                        "error",
                        item.path,
                        _line(where, ("id",)),
                        f"topic '{topic.id}' is in area '{area.id}'",
                        f"start the id with '{area.id}.' or move the topic to its area's file",
                    )
                )
            topics[topic.id] = topic
            origin[topic.id] = where
        areas.append(Area(area.id, area.title, tuple(t.id for t in item.model.topics)))
    # A file that did not parse hides its topics: checks across files would only repeat that
    # one error as dozens of "missing topic" errors, so they wait until every file parses.
    complete = len(parsed) == len(files)
    issues.extend(_check_content(topics, routes, origin, settings, complete))
    issues.extend(_check_duplicate_examples(topics, routes, origin))
    issues.extend(_check_terms(topics, routes, origin))
    if complete:
        from bot.knowledge.editor_checks import editor_issues  # it builds on Issue and CheckSettings from here

        issues.extend(_check_required(topics, routes, settings, directory))
        issues.extend(
            editor_issues(
                topics,
                lambda topic_id, sub: (origin[topic_id][0].path, _line(origin[topic_id], sub)),
                directory,
                settings,
            )
        )
    if any(i.severity == "error" for i in issues):
        raise FaqError(issues)
    return Faq(areas=tuple(areas), topics=topics, routes=routes), issues


def _line(where: tuple[_Parsed, tuple], sub: tuple) -> int | None:
    item, loc = where
    return line_of(item.raw, loc + sub)


def _check_content(
    topics: dict[str, Topic], routes, origin, settings: CheckSettings, complete: bool
) -> Iterable[Issue]:
    oldest_ok = settings.today - dt.timedelta(days=settings.review_max_age_days)
    for topic in topics.values():
        where = origin[topic.id]
        path = where[0].path
        for lang in LANGS:
            answer = topic.answer.get(lang)
            if len(answer) > HARD_ANSWER_LIMIT:
                yield Issue(
                    "error",
                    path,
                    _line(where, ("answer", lang)),
                    f"{topic.id}: the {lang} answer has {len(answer)} characters (limit {HARD_ANSWER_LIMIT})",
                    "shorten it; move details into steps or a related topic",
                )
            elif len(answer) > settings.max_answer_chars:
                yield Issue(
                    "warning",
                    path,
                    _line(where, ("answer", lang)),
                    f"{topic.id}: the {lang} answer has {len(answer)} characters (aim: {settings.max_answer_chars})",
                    "shorten it so that it reads well on a phone",
                )
            count = len(topic.examples.get(lang))
            if count < MIN_EXAMPLES[lang]:
                yield Issue(
                    "error",
                    path,
                    _line(where, ("examples", lang)),
                    f"{topic.id}: {count} {lang} examples, at least {MIN_EXAMPLES[lang]} needed",
                    "add questions as employers would type them (short, long, with typos)",
                )
            texts = [topic.title.get(lang), answer, *(topic.steps.get(lang) if topic.steps else ())]
            for unknown in sorted(set().union(*map(placeholders_in, texts)) - settings.placeholders):
                yield Issue(
                    "error",
                    path,
                    _line(where, ("answer", lang)),
                    f"{topic.id}: unknown placeholder {{{unknown}}}",
                    f"use one of {', '.join('{' + p + '}' for p in sorted(settings.placeholders))}, "
                    "or write {{ }} for braces",
                )
        if topic.steps and bool(topic.steps.de) != bool(topic.steps.en):
            yield Issue(
                "error",
                path,
                _line(where, ("steps",)),
                f"{topic.id}: steps in only one language",
                "give the steps in German and English",
            )
        for index, source in enumerate(topic.sources):
            url = urlparse(source.url)
            if url.scheme not in ("http", "https") or not url.netloc or " " in source.url:
                yield Issue(
                    "error",
                    path,
                    _line(where, ("sources", index, "url")),
                    f"{topic.id}: '{source.url}' is not a web link",
                    "write the full address, starting with https://",
                )
        if topic.reviewed > settings.today:
            yield Issue(
                "error",
                path,
                _line(where, ("reviewed",)),
                f"{topic.id}: reviewed date {topic.reviewed} is in the future",
                "write the day the answer was checked",
            )
        elif topic.reviewed < oldest_ok:
            yield Issue(
                "warning",
                path,
                _line(where, ("reviewed",)),
                f"{topic.id}: last reviewed {topic.reviewed}, more than {settings.review_max_age_days} days ago",
                "check the answer against the current law, then update 'reviewed'",
            )
        for index, related in enumerate(topic.related):
            if (complete and related not in topics) or related == topic.id:
                yield Issue(
                    "error",
                    path,
                    _line(where, ("related", index)),
                    f"{topic.id}: related topic '{related}' does not exist",
                    "name an existing topic id",
                )
    for route, minimum in MIN_ROUTE_EXAMPLES.items():
        examples = routes.get(route)
        count = len(examples.de) + len(examples.en) if examples else 0
        if examples and count < minimum:
            item, loc = origin[route]
            yield Issue(
                "error",
                item.path,
                line_of(item.raw, loc),
                f"route '{route}': {count} examples, at least {minimum} needed",
                "add more example questions in German and English",
            )


def _check_duplicate_examples(topics, routes, origin) -> Iterable[Issue]:
    seen: dict[str, tuple[str, str]] = {}
    labelled = [(t.id, t.examples) for t in topics.values()] + list(routes.items())
    for label, examples in labelled:
        item, loc = origin[label]
        for lang in LANGS:
            for index, text in enumerate(examples.get(lang)):
                line = line_of(item.raw, loc + ("examples", lang, index))
                owner, where = seen.setdefault(fold(text), (label, f"{item.path.name}:{line}"))
                if owner != label:
                    yield Issue(
                        "error",
                        item.path,
                        line,
                        f"'{text}' is an example of both '{owner}' ({where}) and '{label}'",
                        "keep it under the one topic it belongs to; the classifier cannot learn both",
                    )


MAX_TERM_WORDS, MAX_TERM_CHARS = 4, 40


def _check_terms(topics, routes, origin) -> Iterable[Issue]:
    """A term says one topic: it must be short, findable after folding, and belong to that topic alone."""
    examples: dict[str, str] = {}
    for label, texts in [(t.id, t.examples) for t in topics.values()] + list(routes.items()):
        for lang in LANGS:
            examples.update((fold(text), label) for text in texts.get(lang))
    owners: dict[str, str] = {}
    for topic in topics.values():
        item, loc = origin[topic.id]
        for index, term in enumerate(topic.terms):
            line = line_of(item.raw, loc + ("terms", index))
            folded = fold(term)
            if not folded or len(folded.split()) > MAX_TERM_WORDS or len(term) > MAX_TERM_CHARS:
                yield Issue(
                    "error",
                    item.path,
                    line,
                    f"{topic.id}: term '{term}' is empty or too long",
                    f"a term is a word or a short phrase (at most {MAX_TERM_WORDS} words, "
                    f"{MAX_TERM_CHARS} characters), e.g. Duldung or Blaue Karte",
                )
                continue
            owner = owners.setdefault(folded, topic.id)
            if owner != topic.id:
                yield Issue(
                    "error",
                    item.path,
                    line,
                    f"term '{term}' belongs to both '{owner}' and '{topic.id}'",
                    "a term says one topic: keep it under the topic it names",
                )
            elif examples.get(folded, topic.id) != topic.id:
                yield Issue(
                    "error",
                    item.path,
                    line,
                    f"term '{term}' of '{topic.id}' is an example question of '{examples[folded]}'",
                    "remove the term or move the example; the classifier cannot learn both",
                )


def _check_required(topics, routes, settings: CheckSettings, directory: Path) -> Iterable[Issue]:
    for route in MIN_ROUTE_EXAMPLES:
        if route not in routes:
            yield Issue(
                "error",
                directory / ROUTES_FILE,
                None,
                f"route '{route}' has no examples",
                f"add an entry '- id: {route}' with examples to {ROUTES_FILE}",
            )
    if settings.required_topics is None:
        return
    try:
        required = yaml.safe_load(settings.required_topics.read_text(encoding="utf-8"))["topics"]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        yield Issue(
            "error",
            settings.required_topics,
            None,
            f"cannot read the required topic ids: {exc}",
            "restore the file from git",
        )
        return
    for entry in required:
        if entry["id"] not in topics:
            yield Issue(
                "error",
                settings.required_topics,
                None,
                f"required topic '{entry['id']}' is missing from the FAQ",
                f"add it to faq/{entry['id'].split('.')[0]}.yml ({entry.get('asks', '')})",
            )
