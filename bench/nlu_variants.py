"""What each change to the embedded classifier gave: the variants of issue 13 side by side, one run.

Usage: .venv/bin/python bench/nlu_variants.py [--folds 5] [--unseen] [--only "text|text"]

Every variant is trained from a copy of faq/ (older rows take faq/ from a commit of their round, and
strip what they leave out) and routed with its decision rule, on the FAQ's own
examples in k-fold cross-validation and on ../shared/eval/dev.yml. Each row adds one change to the
row above it. --unseen adds bench/data/unseen.yml and bench/data/holdout.yml; choose between variants
without them (they only report figures). --only runs the variants whose name contains one of the texts.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from nlu_bench import DEFAULT_FILES, QUALITY, REPORT_ONLY, cross_validate  # noqa: E402

import nlu.embedded  # noqa: E402
from bot.app import build_core  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.evaluate import evaluate, load_cases  # noqa: E402
from nlu.embedded import EmbeddedSettings  # noqa: E402
from nlu.terms import TermMatcher  # noqa: E402

BASELINE_COMMIT = "8f1af23"  # the FAQ before issue 13 (no hard negatives, no terms)
FIRST_ROUND_COMMIT = "e7f4839"  # the end of the first round on issue 13 (its faq/ for the rows of that round)


@dataclass(frozen=True)
class Variant:
    name: str
    faq_from: str | None = None  # a commit whose faq/ replaces the whole FAQ
    terms: bool = True  # keep the topics' `terms:`
    settings: dict = field(default_factory=dict)  # nlu.embedded overrides
    rule: dict = field(default_factory=dict)  # thresholds overrides
    field_words: bool = True  # the domain feature also counts FIELD_WORDS and ignores terms seen out of scope
    person: bool = True  # the person feature (a person named by title)


def _git_show(commit: str, path: str) -> str:
    return subprocess.run(
        ["git", "show", f"{commit}:{path}"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


def _faq_copy(target: Path, variant: Variant) -> Path:
    shutil.copytree(ROOT / "faq", target)
    if variant.faq_from:
        for path in target.glob("*.yml"):
            path.write_text(_git_show(variant.faq_from, f"faq/{path.name}"), encoding="utf-8")
    if not variant.terms:
        for path in target.glob("*.yml"):
            text = path.read_text(encoding="utf-8")
            path.write_text(re.sub(r"(?m)^ *terms: \[.*\]\n", "", text), encoding="utf-8")
    return target


def _term_matcher(variant: Variant) -> type[TermMatcher]:
    """TermMatcher as the variant has it: the first round had no FIELD_WORDS, nothing generic, no person."""

    class VariantTermMatcher(TermMatcher):
        def __init__(self, terms, topic_value=1.0, domain_value=1.0, offset=0, **kwargs):
            if not variant.field_words:
                kwargs.update(field_words=(), out_of_field=())
            super().__init__(terms, topic_value, domain_value, offset, **kwargs, person=variant.person)

    return VariantTermMatcher


OLD_RULE = {"out_of_scope": 0.40, "escalate": 0.40, "answer_without_term": 0.45}
FIRST_RULE = {"out_of_scope": 0.25}  # the rule at the end of the first round
NO_TERM_FEATURES = {"term_weight": 0.0, "domain_weight": 0.0}
FIRST = {"faq_from": FIRST_ROUND_COMMIT, "field_words": False, "person": False}
VARIANTS = (
    # first round (each row adds one change to the row above it)
    Variant(
        "before: FAQ, model and rule of 8f1af23",
        faq_from=BASELINE_COMMIT,
        terms=False,
        settings=NO_TERM_FEATURES,
        rule=OLD_RULE,
        field_words=False,
    ),
    Variant("+ hard negatives and new examples", terms=False, settings=NO_TERM_FEATURES, rule=OLD_RULE, **FIRST),
    Variant("+ terms as training questions", settings=NO_TERM_FEATURES, rule=OLD_RULE, **FIRST),
    Variant(
        "+ per-topic term features (0.3) and domain (0.3)",
        settings={"term_weight": 0.3, "domain_weight": 0.3},
        rule=OLD_RULE,
        **FIRST,
    ),
    Variant("+ domain feature only (0.5)", rule=OLD_RULE, **FIRST),
    Variant("+ out_of_scope 0.25, escalate 0.35", rule={"answer_without_term": 0.45, **FIRST_RULE}, **FIRST),
    Variant("+ answer_without_term 0.50 (end of the first round, e7f4839)", rule=FIRST_RULE, **FIRST),
    # second round
    Variant(
        "+ 181 fresh route and 25 topic examples (adjacent, one person's case)",
        rule=FIRST_RULE,
        field_words=False,
        person=False,
    ),
    Variant("+ field words; terms seen out of scope do not count", rule=FIRST_RULE, person=False),
    Variant("+ out_of_scope 0.20", person=False),
    Variant("+ person feature (= config.yml)"),
    # tried in the second round, not kept
    Variant("(not kept) domain feature 1.0", settings={"domain_weight": 1.0}),
    Variant("(not kept) per-topic term features 0.3", settings={"term_weight": 0.3}),
)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--unseen", action="store_true", help="also report the unseen and the held-out set")
    parser.add_argument("--only", help="run only the variants whose name contains one of these |-separated texts")
    args = parser.parse_args()
    files = [p for p in DEFAULT_FILES if p.exists() and (args.unseen or p.name not in REPORT_ONLY)]
    config = load_config(ROOT / "config.yml")
    rows: dict[str, dict[str, list[str]]] = {}
    for variant in VARIANTS:
        name = variant.name
        if args.only and not any(part in name for part in args.only.split("|")):
            continue
        nlu.embedded.TermMatcher = _term_matcher(variant)
        with tempfile.TemporaryDirectory() as tmp:
            faq_dir = _faq_copy(Path(tmp) / "faq", variant)
            embedded = config.nlu.embedded.model_copy(update=variant.settings)
            config_of_variant = config.model_copy(
                update={
                    "faq": config.faq.model_copy(update={"path": faq_dir}),
                    "thresholds": config.thresholds.model_copy(update=variant.rule),
                    "nlu": config.nlu.model_copy(update={"embedded": embedded}),
                }
            )
            core = build_core(config_of_variant)
            reports = {p.name: await evaluate(core.dialogue, load_cases(p)) for p in files}
            settings = EmbeddedSettings(**embedded.model_dump())
            reports[f"{args.folds}-fold"] = cross_validate(
                core.knowledge.current.faq, settings, config_of_variant.thresholds, args.folds
            )
            await core.close()
        for set_name, report in reports.items():
            values = [read(report) for _, read, _, _ in QUALITY[:5]]
            rows.setdefault(set_name, {})[name] = ["-" if v is None else f"{v:.3f}" for v in values]
        print(f"done: {name}", file=sys.stderr)
    heads = [label for label, *_ in QUALITY[:5]]
    for set_name, by_variant in rows.items():
        print(f"\n**{set_name}**\n\n| variant | " + " | ".join(heads) + " |\n|---|" + "---:|" * len(heads))
        for name, cells in by_variant.items():
            print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
