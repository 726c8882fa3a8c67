"""The corpus of bad input (tests/data/bad_input/corpus.yml) as test parameters, and what every
channel must hold to for each item."""

from __future__ import annotations

import logging
from pathlib import Path

import yaml

CORPUS = yaml.safe_load((Path(__file__).parent / "data" / "bad_input" / "corpus.yml").read_text(encoding="utf-8"))


def _value(item) -> str | bytes:
    if isinstance(item, str):
        return item
    if "repeat" in item:
        return item["repeat"] * item["times"]
    if "hex" in item:
        return bytes.fromhex(item["hex"].replace(" ", ""))
    return item["text"]


def items(kind: str) -> list[tuple[str, str | bytes]]:
    """(name, value) of every item of one kind: text, payload, token, body."""
    return [(name, _value(item)) for name, item in CORPUS[kind].items()]


def names(kind: str) -> list[str]:
    return list(CORPUS[kind])


MEDIA = CORPUS["media"]


def as_bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def tracebacks(records: list[logging.LogRecord]) -> list[str]:
    """Log records with a traceback or at ERROR: what a bad input must never cause."""
    return [f"{r.name}: {r.getMessage()[:200]}" for r in records if r.exc_info or r.levelno >= logging.ERROR]


def has_controls(text: str) -> bool:
    return any((ord(c) < 32 and c not in "\t\n") or ord(c) == 0x7F or 0xD800 <= ord(c) <= 0xDFFF for c in text)
