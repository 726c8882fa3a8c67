"""What each change to the embedded classifier gave: the variants of issue 13 side by side, one run.

Usage: .venv/bin/python bench/nlu_variants.py [--folds 5] [--unseen]

Every variant is trained from a copy of faq/ (the first from the FAQ before issue 13, the others
strip what they leave out) and routed with its decision rule, on the FAQ's own examples in k-fold
cross-validation and on ../shared/eval/dev.yml. Each row adds one change to the row above it.
--unseen adds bench/data/unseen.yml; choose between variants without it
(the unseen set only reports figures).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from nlu_bench import DEFAULT_FILES, QUALITY, cross_validate  # noqa: E402

from bot.app import build_core  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.evaluate import evaluate, load_cases  # noqa: E402
from nlu.embedded import EmbeddedSettings  # noqa: E402

BASELINE_COMMIT = "8f1af23"  # the FAQ before issue 13 (no hard negatives, no terms)


def _faq_copy(target: Path, *, baseline: bool, hard_negatives: bool, terms: bool) -> Path:
    shutil.copytree(ROOT / "faq", target)
    old_files = (
        [name for name in ("routes.yml",) if not hard_negatives]
        if not baseline
        else [p.name for p in target.glob("*.yml")]
    )
    for name in old_files:
        old = subprocess.run(
            ["git", "show", f"{BASELINE_COMMIT}:faq/{name}"], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout
        (target / name).write_text(old, encoding="utf-8")
    if not terms:
        for path in target.glob("*.yml"):
            text = path.read_text(encoding="utf-8")
            path.write_text(re.sub(r"(?m)^ *terms: \[.*\]\n", "", text), encoding="utf-8")
    return target


OLD_RULE = {"out_of_scope": 0.40, "escalate": 0.40, "answer_without_term": 0.45}
NO_TERM_FEATURES = {"term_weight": 0.0, "domain_weight": 0.0}
VARIANTS = (
    # name, FAQ of the baseline commit, hard negatives, terms, classifier settings, thresholds
    ("before: FAQ, model and rule of 8f1af23", True, False, False, NO_TERM_FEATURES, OLD_RULE),
    ("+ hard negatives and new examples", False, True, False, NO_TERM_FEATURES, OLD_RULE),
    ("+ terms as training questions", False, True, True, NO_TERM_FEATURES, OLD_RULE),
    (
        "+ per-topic term features (0.3) and domain (0.3)",
        False,
        True,
        True,
        {"term_weight": 0.3, "domain_weight": 0.3},
        OLD_RULE,
    ),
    ("+ domain feature only (0.5)", False, True, True, {"term_weight": 0.0, "domain_weight": 0.5}, OLD_RULE),
    (
        "+ out_of_scope 0.25, escalate 0.35",
        False,
        True,
        True,
        {"term_weight": 0.0, "domain_weight": 0.5},
        {"answer_without_term": 0.45},
    ),
    ("+ answer_without_term 0.50 (= config.yml)", False, True, True, {}, {}),
)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--unseen", action="store_true", help="also report bench/data/unseen.yml")
    parser.add_argument("--only", help="run only the variants whose name contains this")
    args = parser.parse_args()
    files = [p for p in DEFAULT_FILES if p.exists() and (args.unseen or p.name != "unseen.yml")]
    config = load_config(ROOT / "config.yml")
    rows: dict[str, dict[str, list[str]]] = {}
    for name, baseline, negatives, terms, overrides, rule in VARIANTS:
        if args.only and args.only not in name:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            faq_dir = _faq_copy(Path(tmp) / "faq", baseline=baseline, hard_negatives=negatives, terms=terms)
            embedded = config.nlu.embedded.model_copy(update=overrides)
            variant = config.model_copy(
                update={
                    "faq": config.faq.model_copy(update={"path": faq_dir}),
                    "thresholds": config.thresholds.model_copy(update=rule),
                    "nlu": config.nlu.model_copy(update={"embedded": embedded}),
                }
            )
            core = build_core(variant)
            reports = {p.name: await evaluate(core.dialogue, load_cases(p)) for p in files}
            settings = EmbeddedSettings(**embedded.model_dump())
            reports[f"{args.folds}-fold"] = cross_validate(
                core.knowledge.current.faq, settings, variant.thresholds, args.folds
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
