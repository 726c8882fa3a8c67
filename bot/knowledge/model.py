"""The FAQ as typed objects, parsed once from faq/*.yml."""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from bot.knowledge.norms import checked_norm, parse_norm
from nlu.types import ROUTE_LABELS, TrainingExample

Lang = Literal["de", "en"]
LANGS: tuple[Lang, ...] = ("de", "en")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    de: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.de


class TextList(_Strict):
    de: tuple[str, ...] = ()
    en: tuple[str, ...] = ()

    def get(self, lang: str) -> tuple[str, ...]:
        return self.en if lang == "en" else self.de


class Source(_Strict):
    title: str = Field(min_length=1)
    url: str = Field(min_length=1)


NormText = Annotated[str, AfterValidator(checked_norm)]


class Topic(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+\.[a-z0-9_]+$")
    # Words that say this topic whatever else a question says ("Duldung", "60a"): the classifier
    # weighs them as their own features (nlu/terms.py). Language-neutral; checked by the loader.
    terms: tuple[str, ...] = ()
    title: Text
    answer: Text
    steps: TextList | None = None
    individual_case: Literal["authority", "coordinator", "none"] = "authority"
    sources: tuple[Source, ...] = ()
    reviewed: dt.date
    # None: the key is missing (a warning); (): the topic rests on no norm, e.g. the bot's own help.
    legal_basis: tuple[NormText, ...] | None = None
    reviewed_by: str | None = Field(None, min_length=1)
    related: tuple[str, ...] = ()
    examples: TextList

    @model_validator(mode="before")
    @classmethod
    def _derive_sources(cls, data: Any) -> Any:
        """Without `sources:`, the links to the law texts of `legal_basis:` are the sources."""
        if not isinstance(data, dict) or data.get("sources") or not isinstance(data.get("legal_basis"), list):
            return data
        derived = []
        for text in data["legal_basis"]:
            try:
                norm = parse_norm(text)
            except ValueError:
                continue  # reported with its line by the field's own validation
            derived.append({"title": str(norm), "url": norm.url})
        return {**data, "sources": derived} if derived else data

    @model_validator(mode="after")
    def _has_sources(self) -> Topic:
        if not self.sources:
            raise ValueError("no sources: add 'sources:' with links, or 'legal_basis:' to link the law texts")
        return self


class AreaHeader(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    title: Text


class AreaFile(_Strict):
    area: AreaHeader
    topics: tuple[Topic, ...] = Field(min_length=1)


class RouteExamples(_Strict):
    id: Literal["authority", "coordinator", "out_of_scope", "smalltalk"]
    examples: TextList


class RoutesFile(_Strict):
    routes: tuple[RouteExamples, ...]


@dataclass(frozen=True)
class Area:
    id: str
    title: Text
    topic_ids: tuple[str, ...]


@dataclass(frozen=True)
class Faq:
    """The whole knowledge base: areas in file order, topics by id, route examples."""

    areas: tuple[Area, ...]
    topics: dict[str, Topic]
    routes: dict[str, TextList]
    loaded_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    # Districts' overlays (faq/districts/<id>/, bot/knowledge/overlay.py): their own topics are in
    # `topics` too (the classifier knows them all), but belong to one district only ...
    local_to: dict[str, str] = field(default_factory=dict)  # topic id -> district id
    # ... and a district's local wording of a shared topic: (district id, topic id) -> the topic as answered there.
    overrides: dict[tuple[str, str], Topic] = field(default_factory=dict)

    def available(self, topic_id: str, district: str | None) -> bool:
        """Whether a chat of `district` may be answered with the topic: shared, or local to that district."""
        return topic_id in self.topics and self.local_to.get(topic_id, district) == district

    def topic_in(self, topic_id: str, district: str | None) -> Topic | None:
        """The topic as a chat of `district` gets it (local wording where the district has one), or None."""
        if not self.available(topic_id, district):
            return None
        return self.overrides.get((district or "", topic_id)) or self.topics[topic_id]

    def training_examples(self) -> list[TrainingExample]:
        examples = []
        for topic in self.topics.values():
            for lang in LANGS:
                examples.append(TrainingExample(topic.title.get(lang), topic.id, lang))
                examples.extend(TrainingExample(q, topic.id, lang) for q in topic.examples.get(lang))
            examples.extend(TrainingExample(term, topic.id, "", kind="term") for term in topic.terms)
        for route in ROUTE_LABELS:
            texts = self.routes.get(route, TextList())
            for lang in LANGS:
                examples.extend(TrainingExample(q, route, lang) for q in texts.get(lang))
        return examples

    def area_of(self, topic_id: str) -> Area | None:
        return next((a for a in self.areas if topic_id in a.topic_ids), None)


def placeholders_in(text: str) -> set[str]:
    """Names of the {placeholders} in a text (str.format syntax)."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def fill(text: str, values: dict[str, str]) -> str:
    return text.format_map(values)
