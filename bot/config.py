"""Configuration: config.yml validated against a schema at start-up, secrets from the environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config.yml"


class ConfigError(Exception):
    """The configuration cannot be used; the message names the bad key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localized(_Strict):
    de: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.de


class Contact(_Strict):
    name: Localized
    phone: str | None = None
    email: str | None = None
    url: str | None = None

    def render(self, lang: str) -> str:
        details = [d for d in (self.phone, self.email, self.url) if d]
        name = self.name.get(lang)
        return f"{name} ({', '.join(details)})" if details else name


class Contacts(_Strict):
    authority: Contact
    coordinator: Contact
    employer_service: Contact
    chamber: Contact

    def placeholders(self, lang: str) -> dict[str, str]:
        return {key: getattr(self, key).render(lang) for key in type(self).model_fields}


class Languages(_Strict):
    supported: tuple[Literal["de", "en"], ...] = ("de", "en")
    default: Literal["de", "en"] = "de"
    # Below this confidence the detected language of a message is not trusted and the
    # chat's language is used instead (short messages such as "ok" are ambiguous).
    detection_min_confidence: float = Field(0.75, ge=0.5, le=1.0)


class Thresholds(_Strict):
    answer: float = Field(0.45, gt=0, le=1)
    margin: float = Field(0.15, ge=0, le=1)
    clarify_min: float = Field(0.08, gt=0, le=1)
    escalate: float = Field(0.40, gt=0, le=1)
    out_of_scope: float = Field(0.40, gt=0, le=1)
    smalltalk: float = Field(0.50, gt=0, le=1)
    max_candidates: int = Field(3, ge=2, le=5)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.clarify_min >= self.answer:
            raise ValueError("clarify_min must be lower than answer")
        return self


class EmbeddedNlu(_Strict):
    char_ngram_min: int = Field(2, ge=1, le=4)
    char_ngram_max: int = Field(5, ge=2, le=8)
    word_ngram_max: int = Field(2, ge=1, le=3)
    regularisation: float = Field(10.0, gt=0)


class Nlu(_Strict):
    backend: Literal["embedded"] = "embedded"
    embedded: EmbeddedNlu = EmbeddedNlu()


class Faq(_Strict):
    path: Path = Path("faq")
    required_topics: Path = Path("faq/_required-topics.yml")
    max_answer_chars: int = Field(900, ge=200, le=4000)
    review_max_age_days: int = Field(365, ge=1)
    reload_seconds: float = Field(5.0, ge=0)


class Chat(_Strict):
    max_message_chars: int = Field(1500, ge=50, le=4000)


class Config(_Strict):
    languages: Languages = Languages()
    thresholds: Thresholds = Thresholds()
    nlu: Nlu = Nlu()
    faq: Faq = Faq()
    chat: Chat = Chat()
    contacts: Contacts
    base_dir: Path = Path(".")

    def resolve(self, path: Path) -> Path:
        return path if path.is_absolute() else self.base_dir / path


def _location(loc: tuple) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def load_config(path: Path | str | None = None, environ: dict[str, str] | None = None) -> Config:
    """Read, validate and complete the configuration.

    Args:
        path: the YAML file; defaults to $LOTSE_CONFIG, then config.yml in the repository.
        environ: environment variables (defaults to os.environ), for secrets and overrides.

    Returns:
        The validated, immutable configuration.

    Raises:
        ConfigError: naming the file and the bad key.
    """
    environ = dict(os.environ if environ is None else environ)
    path = Path(path or environ.get("LOTSE_CONFIG") or DEFAULT_CONFIG)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping of keys to values")
    raw.setdefault("base_dir", str(path.resolve().parent))
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{_location(e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: {problems}") from exc
