"""Norms as editors write them in `legal_basis:` ("AufenthG § 60a"), checked, and their links to the law texts."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Abbreviation -> folder on gesetze-im-internet.de (the official consolidated texts).
FEDERAL_LAWS = {
    "AufenthG": "aufenthg_2004",
    "AufenthV": "aufenthv",
    "AsylG": "asylvfg_1992",
    "AsylbLG": "asylblg",
    "BeschV": "beschv_2013",
    "BQFG": "bqfg",
    "BBiG": "bbig_2005",
    "DeuFöV": "deuf_v",
    "MiLoG": "milog",
    "SchwarzArbG": "schwarzarbg_2004",
    "SGB II": "sgb_2",
    "SGB III": "sgb_3",
    "SGB IV": "sgb_4",
    "SGB XI": "sgb_11",
}
# EU law is cited by article; the link goes to the whole act on EUR-Lex.
EU_LAWS = {
    "DSGVO": "https://eur-lex.europa.eu/eli/reg/2016/679/oj",
}

NORM = re.compile(
    r"^(?P<law>[A-Za-zÄÖÜäöü]+(?: [IVX]+)?) "
    r"(?:§ (?P<section>\d+[a-z]?)|Art\. (?P<article>\d+[a-z]?))"
    r"(?: Abs\. (?P<paragraph>\d+[a-z]?))?$"
)
EXAMPLES = "AufenthG § 60a, AsylG § 61, BeschV § 32, SGB III § 421, AufenthG § 60a Abs. 6, DSGVO Art. 17"


@dataclass(frozen=True)
class Norm:
    law: str
    number: str  # the section (§) or, for EU law, the article
    paragraph: str = ""  # Abs.; a change to a section concerns every paragraph of it

    @property
    def key(self) -> tuple[str, str]:
        """What a law change and a topic are matched on: law and section."""
        return self.law, self.number

    @property
    def url(self) -> str:
        if self.law in EU_LAWS:
            return EU_LAWS[self.law]
        return f"https://www.gesetze-im-internet.de/{FEDERAL_LAWS[self.law]}/__{self.number}.html"

    def __str__(self) -> str:
        head = f"{self.law} Art. {self.number}" if self.law in EU_LAWS else f"{self.law} § {self.number}"
        return head + (f" Abs. {self.paragraph}" if self.paragraph else "")


def parse_norm(text: str) -> Norm:
    """'AufenthG § 60a' -> Norm.

    Raises:
        ValueError: with a message an editor can act on.
    """
    match = NORM.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"'{text}' is not a norm; write it like {EXAMPLES}")
    law = match["law"]
    if law not in FEDERAL_LAWS and law not in EU_LAWS:
        known = ", ".join(sorted(FEDERAL_LAWS) + sorted(EU_LAWS))
        raise ValueError(f"unknown law '{law}' in '{text}'; known: {known} (add others in bot/knowledge/norms.py)")
    if (law in EU_LAWS) != bool(match["article"]):
        form = f"{law} Art. 17" if law in EU_LAWS else f"{law} § 12"
        raise ValueError(f"'{text}': write {law} like '{form}'")
    return Norm(law, match["section"] or match["article"], match["paragraph"] or "")


def checked_norm(text: str) -> str:
    """Pydantic validator: the norm in its normal spelling."""
    return str(parse_norm(text))
