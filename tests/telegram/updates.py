"""Recorded Telegram updates (tests/fixtures/telegram/*.json), real Bot API format."""

from __future__ import annotations

import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "telegram"


def load_update(name: str) -> dict:
    """The update in <name>.json, a fresh copy each time."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def names() -> list[str]:
    return sorted(p.stem for p in FIXTURES.glob("*.json"))
