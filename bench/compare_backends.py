"""Both classifier backends on one labelled question set: same FAQ, same decision rule, one run.

    .venv/bin/python bench/compare_backends.py [EVAL_FILE] [--write docs/rasa.md]

EVAL_FILE defaults to ../shared/eval/dev.yml. Rasa is set up and trained first if needed (cached
in .venv-rasa and var/rasa/models), then served on a free 127.0.0.1 port for the run. Quality
numbers come from bot/evaluate.py's Report, so they match `python -m bot evaluate`.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import load_config  # noqa: E402
from bot.dialogue import Dialogue  # noqa: E402
from bot.evaluate import ROUTES, Report, evaluate, load_cases  # noqa: E402
from bot.knowledge import KnowledgeBase  # noqa: E402
from bot.rasa_tools import RasaServer, free_port, prepare  # noqa: E402
from bot.store import MemoryChatStore  # noqa: E402
from nlu.embedded import EmbeddedClassifier, EmbeddedSettings  # noqa: E402
from nlu.rasa import RasaClassifier, RasaSettings  # noqa: E402
from nlu.types import Classification, IntentClassifier  # noqa: E402

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


class Timed:
    """Records how long each classify() of the wrapped classifier takes."""

    def __init__(self, inner: IntentClassifier):
        self.inner = inner
        self.name = inner.name
        self.seconds: list[float] = []

    async def classify(self, text: str) -> Classification:
        started = time.perf_counter()
        result = await self.inner.classify(text)
        self.seconds.append(time.perf_counter() - started)
        if result.backend != self.name:
            raise RuntimeError(f"{self.name} did not classify {text!r} itself (got {result.backend})")
        return result

    async def close(self) -> None:
        await self.inner.close()

    def percentile(self, p: float) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1)] * 1000


def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run_backend(config, classifier: IntentClassifier, cases) -> tuple[Report, Timed]:
    timed = Timed(classifier)
    await classifier.classify("Guten Tag, ich habe eine Frage")  # warm-up: Rasa's first parse is slow
    knowledge = KnowledgeBase(config, lambda faq: timed)
    report = await evaluate(Dialogue(config, knowledge, MemoryChatStore()), cases)
    return report, timed


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def table(reports: dict[str, Report], extra: dict[str, dict[str, str]]) -> list[str]:
    names = list(reports)
    rows = [
        ("questions", {n: str(len(r.outcomes)) for n, r in reports.items()}),
        ("correct (answer or right button)", {n: _pct(r.correct) for n, r in reports.items()}),
        ("wrong answers", {n: _pct(r.wrong) for n, r in reports.items()}),
        ("clarify rate", {n: _pct(r.clarify) for n, r in reports.items()}),
        ("language detected", {n: _pct(r.language) for n, r in reports.items()}),
    ]
    rows += [(f"recall {route}", {n: _pct(r.recall(route)) for n, r in reports.items()}) for route in ROUTES]
    rows.append(
        (
            "recall hand-over (authority + coordinator)",
            {n: _pct(r.recall("authority", "coordinator")) for n, r in reports.items()},
        )
    )
    rows += [(label, {n: extra[n][label] for n in names}) for label in extra[names[0]]]
    lines = [f"| | {' | '.join(names)} |", f"|---|{'---:|' * len(names)}"]
    lines += [f"| {label} | {' | '.join(values[n] for n in names)} |" for label, values in rows]
    return lines


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path, nargs="?", default=ROOT.parent / "shared" / "eval" / "dev.yml")
    parser.add_argument("--write", type=Path, help=f"replace the part between {BEGIN} and {END} in this file")
    args = parser.parse_args()
    config = load_config(environ={})
    cases = load_cases(args.file)
    say = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731

    rasa_tools = prepare(config, say)
    examples = rasa_tools.faq.training_examples()
    embedded = EmbeddedClassifier(examples, EmbeddedSettings(**config.nlu.embedded.model_dump()))
    bot_rss = rss_mb()
    server = RasaServer(rasa_tools.rasa, rasa_tools.model.path, free_port(), secrets.token_urlsafe(16))
    started = time.perf_counter()
    with server:
        load_seconds = server.wait_ready(say)
        rasa = RasaClassifier(
            RasaSettings(url=server.url, token=server.token, timeout_seconds=30), embedded.labels, embedded
        )
        say(f"evaluating both backends on {len(cases)} questions from {args.file.name}")
        reports, timings = {}, {}
        for classifier in (embedded, rasa):
            reports[classifier.name], timings[classifier.name] = await run_backend(config, classifier, cases)
        rasa_rss = server.rss_bytes() / 2**20
        await rasa.close()
    say(f"server run took {time.perf_counter() - started:.0f} s")

    train = {"embedded": embedded.training_seconds, "rasa": rasa_tools.model.training_seconds}
    extra = {
        name: {
            "training time": f"{train[name]:.1f} s",
            "ready after start (Rasa: model load)": "at once" if name == "embedded" else f"{load_seconds:.0f} s",
            "latency p50 / p99 per message": (
                f"{timings[name].percentile(50):.1f} / {timings[name].percentile(99):.1f} ms"
            ),
            "memory (RSS)": (
                f"{bot_rss:.0f} MB (bot process)"
                if name == "embedded"
                else f"{rasa_rss:.0f} MB (Rasa server) + the bot process"
            ),
        }
        for name in reports
    }
    header = (
        f"{len(cases)} questions of `{args.file.name}`, {len(rasa_tools.faq.topics)} topics, "
        f"{len(examples)} training examples; Rasa model `{rasa_tools.model.path.name}` "
        f"({rasa_tools.export.intents} intents); measured {time.strftime('%Y-%m-%d')} on this 2-core machine."
    )
    lines = [header, "", *table(reports, extra)]
    print("\n".join(lines))
    for name, report in reports.items():
        print(f"\n{name}, most confused (expected -> got):")
        print("\n".join(f"  {count} x {exp} -> {got}" for (exp, got), count in report.confused(5)))
    speedup = train["rasa"] / max(train["embedded"], 1e-9)
    print(
        f"\nembedded trains {speedup:.0f}x faster; correct {_pct(reports['embedded'].correct)} vs "
        f"{_pct(reports['rasa'].correct)}; median latency "
        f"{statistics.median(timings['embedded'].seconds) * 1000:.1f} vs "
        f"{statistics.median(timings['rasa'].seconds) * 1000:.1f} ms"
    )
    if args.write:
        text = args.write.read_text(encoding="utf-8")
        head, _, rest = text.partition(BEGIN)
        _, _, tail = rest.partition(END)
        args.write.write_text(f"{head}{BEGIN}\n{chr(10).join(lines)}\n{END}{tail}", encoding="utf-8")
        print(f"wrote the table into {args.write}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
