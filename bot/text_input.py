"""What every input edge does to text, JSON and numbers before anything else sees them.

One place, so the web chat, the console, the hand-over, the terminal and Telegram agree:
- `clean_text` strips NUL and the other C0 control characters except tab and newline (PostgreSQL
  refuses NUL in text, and control characters have no business in a question or a company name);
- `load_json` refuses bodies nested deeper than any real payload (json.loads would recurse until
  RecursionError, which is no ValueError and ended as a 500);
- `parse_id` reads a database id typed or forged by a user, None when it is no id we could have;
- `clean_payload` does the same for button data as a whole: a number past the database's range in
  any of its parts marks it as forged, so no handler behind the edge ever parses such a number.
"""

from __future__ import annotations

import json
import re

# C0 controls but \t (0x09) and \n (0x0a); \r is dropped after turning \r\n and lone \r into \n. DEL too.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Lone surrogates: what undecodable bytes become (surrogateescape); no database can store them.
_SURROGATES = re.compile(r"[\ud800-\udfff]")
MAX_ID = 2**31 - 1  # the largest INTEGER on PostgreSQL; every id column is one
MAX_JSON_DEPTH = 20  # a Telegram update nests about 6 deep, the web chat's body 3


def clean_text(text: object) -> str:
    """The text without NUL and other control characters (tab and newline stay); None gives "".

    Undecodable bytes that arrived as lone surrogates become U+FFFD (the replacement character).
    """
    if text is None:
        return ""
    value = str(text)
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _SURROGATES.sub("\ufffd", _CONTROLS.sub("", value))


def parse_id(raw: object) -> int | None:
    """A positive id from user input ("12", "#12", 12), or None: not digits, zero, or too big for the database."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 0 < raw <= MAX_ID else None
    text = str(raw or "").strip().removeprefix("#")
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


FORGED = "forged"  # what a button with an impossible number becomes: no handler knows it ("unknown button")
MAX_PAYLOAD = 200


def clean_payload(payload: object) -> str:
    """Button data as handlers may read it: clean text, at most MAX_PAYLOAD characters, no number out of range."""
    value = clean_text(payload)[:MAX_PAYLOAD]
    for part in value.split(":"):
        if part.isdigit() and part.strip("0") and parse_id(part) is None:
            return FORGED
    return value


class JsonTooDeep(ValueError):
    """The body nests deeper than MAX_JSON_DEPTH."""


_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')  # unrolled: fast on long strings
_BRACKETS = re.compile(r"[\[\]{}]")


def json_depth(raw: str) -> int:
    """How deep arrays and objects nest in a JSON text (brackets inside strings do not count)."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRING.sub("", raw)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def load_json(raw: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> object:
    """Parse a request body as JSON. Raises ValueError (JsonTooDeep, UnicodeDecodeError, JSONDecodeError)."""
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    # Counting brackets is C-fast; only a body with more of them than max_depth needs the real scan.
    if text.count("[") + text.count("{") > max_depth and json_depth(text) > max_depth:
        raise JsonTooDeep(f"JSON nested deeper than {max_depth}")
    return json.loads(text)
