"""The editors' checks beyond the schema: legal basis and reviewer, stale law, who decides."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from bot.knowledge.law_changes import LAW_CHANGES_FILE, load_law_changes, stale_topics
from bot.knowledge.loader import CheckSettings, Issue
from bot.knowledge.model import LANGS, Topic

# Where a topic's key stands: (file, line).
Locate = Callable[[str, tuple], tuple[Path, int | None]]

# How an answer names a body, in either language. The last paragraph of an answer is where the
# FAQ sends the employer ("Den Einzelfall prüft {authority}."), so that is where it is read.
BODIES: dict[str, tuple[str, ...]] = {
    "authority": ("{authority}", "ausländerbehörde", "foreigners' authority"),
    "coordinator": ("{coordinator}", "netzwerkkoordination", "koordinierungsstelle", "coordinator"),
    "employment agency or Jobcenter": (
        "{employer_service}",
        "agentur für arbeit",
        "bundesagentur",
        "agentur",
        "arbeitgeber-service",
        "jobcenter",
        "employment agency",
        "employer service",
    ),
    "mission abroad": ("auslandsvertretung", "mission abroad", "botschaft", "embassy"),
    "BAMF": ("bamf",),
    "chamber": ("{chamber", "kammer", "chamber"),
}


def bodies_named(text: str) -> set[str]:
    lowered = text.lower()
    return {body for body, marks in BODIES.items() if any(mark in lowered for mark in marks)}


def referral(topic: Topic, lang: str) -> str:
    """The answer's last paragraph: whom the text sends the employer to."""
    paragraphs = [p for p in topic.answer.get(lang).strip().split("\n\n") if p.strip()]
    return paragraphs[-1] if paragraphs else ""


def consistency_issues(topics: Iterable[Topic], locate: Locate) -> Iterable[Issue]:
    """`individual_case` names one body, the answer's last paragraph sends the employer to others."""
    for topic in topics:
        if topic.individual_case == "none":
            continue
        for lang in LANGS:
            named = bodies_named(referral(topic, lang))
            if named and topic.individual_case not in named:
                path, line = locate(topic.id, ("individual_case",))
                yield Issue(
                    "warning",
                    path,
                    line,
                    f"{topic.id}: individual_case is '{topic.individual_case}', but the {lang} answer ends "
                    f"by sending the employer to: {', '.join(sorted(named))}",
                    "make them agree: name the same body in the last paragraph, or set individual_case to "
                    "the one who decides one person's case ('none' if the text names it already)",
                )
                break


def review_issues(topics: Iterable[Topic], locate: Locate) -> Iterable[Issue]:
    for topic in topics:
        if topic.legal_basis is None:
            path, line = locate(topic.id, ("reviewed",))
            yield Issue(
                "warning",
                path,
                line,
                f"{topic.id}: no 'legal_basis:'",
                "add the norms the answer rests on after 'reviewed:', e.g. legal_basis: [AufenthG § 60a], "
                "or 'legal_basis: []' if it rests on none",
            )
        if topic.reviewed_by is None:
            path, line = locate(topic.id, ("reviewed",))
            yield Issue(
                "warning",
                path,
                line,
                f"{topic.id}: no 'reviewed_by:'",
                "write who checked the answer on the 'reviewed' date (a role or a name)",
            )


def stale_law_issues(
    topics: dict[str, Topic], locate: Locate, directory: Path, settings: CheckSettings
) -> Iterable[Issue]:
    path = directory / LAW_CHANGES_FILE
    changes, problems = load_law_changes(path)
    for line, message in problems:
        yield Issue("error", path, line, message, f"see '{LAW_CHANGES_FILE}' in faq/README.md")
    for stale in stale_topics(topics.values(), changes, settings.today):
        where, line = locate(stale.topic_id, ("reviewed",))
        yield Issue(
            "warning",
            where,
            line,
            stale.message,
            "check the answer against the changed norm; then set 'reviewed' to today and 'reviewed_by'",
            kind="stale_law",
        )


def editor_issues(topics: dict[str, Topic], locate: Locate, directory: Path, settings: CheckSettings) -> list[Issue]:
    return [
        *review_issues(topics.values(), locate),
        *consistency_issues(topics.values(), locate),
        *stale_law_issues(topics, locate, directory, settings),
    ]
