"""Benchmark of the embedded classifier: routing quality, training time, latency, memory.

Usage: .venv/bin/python bench/nlu_bench.py [../shared/eval/dev.yml] [--repeat 5]

Prints a Markdown table with the targets of the FAQ/classifier issue next to the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import build_core, classifier_factory  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.evaluate import evaluate, load_cases  # noqa: E402


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=ROOT.parent / "shared" / "eval" / "dev.yml")
    parser.add_argument("--repeat", type=int, default=5, help="training runs to time (median is reported)")
    args = parser.parse_args()

    config = load_config(ROOT / "config.yml")
    core = build_core(config)
    faq = core.knowledge.current.faq
    build = classifier_factory(config)
    print(f"training {args.repeat} times on {len(faq.training_examples())} examples ...", file=sys.stderr)
    trainings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        classifier = build(faq)
        trainings.append(time.perf_counter() - started)

    cases = load_cases(args.file)
    report = await evaluate(core.dialogue, cases)
    classifier = core.knowledge.current.classifier
    latencies = []
    for _ in range(20):
        for case in cases:
            started = time.perf_counter()
            classifier.classify_sync(case.text)
            latencies.append((time.perf_counter() - started) * 1000)

    handover = report.recall("authority", "coordinator")
    rows = [
        ("correct", f"{report.correct:.3f}", ">= 0.92", report.correct >= 0.92),
        ("wrong answers", f"{report.wrong:.3f}", "<= 0.03", report.wrong <= 0.03),
        ("recall authority + coordinator", f"{handover:.3f}", ">= 0.85", handover >= 0.85),
        ("recall out_of_scope", f"{report.recall('out_of_scope'):.3f}", ">= 0.85", report.recall("out_of_scope") >= 0.85),
        ("clarify rate", f"{report.clarify:.3f}", "<= 0.12", report.clarify <= 0.12),
        ("language detected", f"{report.language:.3f}", "", True),
        ("training time (median)", f"{statistics.median(trainings):.2f} s", "<= 2 s", statistics.median(trainings) <= 2),
        ("classification p50", f"{percentile(latencies, 0.5):.3f} ms", "<= 1 ms", percentile(latencies, 0.5) <= 1),
        ("classification p99", f"{percentile(latencies, 0.99):.3f} ms", "", True),
        ("resident memory after start", f"{rss_mib():.0f} MiB", "", True),
    ]
    print(f"\n{len(cases)} questions from {args.file.name}, {len(faq.topics)} topics\n")
    print("| measure | figure | target | met |\n|---|---|---|---|")
    for name, value, target, ok in rows:
        print(f"| {name} | {value} | {target} | {'yes' if ok else 'NO' if target else ''} |")
    print("\n" + "\n".join(report.lines()[-9:]))
    return 0 if all(ok for *_, ok in rows) else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
