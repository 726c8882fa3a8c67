"""What operators read at /metrics moves with what the bot does (counters in prometheus-client's registry)."""

from __future__ import annotations

from prometheus_client import REGISTRY

from bot.messages import IncomingMessage, Kind


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_question_counts_as_an_update_a_decision_and_a_classification(core):
    before = (
        sample("lotse_updates_total", channel="terminal"),
        sample("lotse_decisions_total", route="answer"),
        sample("lotse_classify_seconds_count"),
    )
    await core.dialogue.handle(IncomingMessage("terminal", "m1", Kind.TEXT, text="Was ist die Blaue Karte EU?"))
    await core.dialogue.handle(IncomingMessage("terminal", "m1", Kind.COMMAND, text="/help"))
    after = (
        sample("lotse_updates_total", channel="terminal"),
        sample("lotse_decisions_total", route="answer"),
        sample("lotse_classify_seconds_count"),
    )
    assert [b - a for a, b in zip(before, after, strict=True)] == [2.0, 1.0, 1.0]


async def test_each_decision_counts_under_its_own_route(core):
    for text in (
        "Papiere",
        "Wie backe ich einen Kuchen?",
        "Darf mein Mitarbeiter Herr Ali seinen Antrag schon abholen?",
    ):
        route = (await core.dialogue.understand(text)).decision.route.value
        before = {
            r: sample("lotse_decisions_total", route=r)
            for r in ("answer", "clarify", "out_of_scope", "authority", "coordinator", "smalltalk")
        }
        await core.dialogue.handle(IncomingMessage("terminal", f"m-{text}", Kind.TEXT, text=text))
        after = {r: sample("lotse_decisions_total", route=r) for r in before}
        assert {r: after[r] - before[r] for r in before} == {r: float(r == route) for r in before}
