"""Text normalisation for German and English employer messages."""

from __future__ import annotations

import re
import unicodedata

# Employers type "Arbeitserlaubnis", "arbeitserlaubniß", "Beschaeftigung" or "Beschaftigung":
# folding umlauts, their ae/oe/ue spellings and ß to one form makes them the same features.
_UMLAUTS = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})
_DIGRAPHS = re.compile(r"(?<=[a-z])(ae|oe|ue)")
_NON_WORD = re.compile(r"[^\w§]+")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case, fold umlauts (and their digraph spellings), strip accents and punctuation."""
    text = text.lower().translate(_UMLAUTS)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _DIGRAPHS.sub(lambda m: m.group(1)[0], text)
    text = _NON_WORD.sub(" ", text).replace("_", " ")
    return _SPACES.sub(" ", text).strip()


def has_letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text)
