"""Configuration: config.yml validated against a schema at start-up, secrets from the environment."""

from __future__ import annotations

import difflib
import os
import re
from functools import cached_property
from pathlib import Path
from typing import Literal, get_args
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

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
    chamber: Contact  # {chamber}: both kinds of chamber, where the occupation is open
    chamber_ihk: Contact | None = None  # {chamber_ihk}: trade, industry, services; missing: {chamber}
    chamber_hwk: Contact | None = None  # {chamber_hwk}: crafts (Handwerk); missing: {chamber}

    def placeholders(self, lang: str) -> dict[str, str]:
        return {key: (getattr(self, key) or self.chamber).render(lang) for key in type(self).model_fields}


class Languages(_Strict):
    supported: tuple[Literal["de", "en"], ...] = ("de", "en")
    default: Literal["de", "en"] = "de"
    # Below this confidence the detected language of a message is not trusted and the
    # chat's language is used instead (short messages such as "ok" are ambiguous).
    detection_min_confidence: float = Field(0.65, ge=0.5, le=1.0)


class Thresholds(_Strict):
    answer: float = Field(0.45, gt=0, le=1)
    answer_without_term: float = Field(0.50, gt=0, le=1)
    margin: float = Field(0.15, ge=0, le=1)
    clarify_min: float = Field(0.08, gt=0, le=1)
    escalate: float = Field(0.35, gt=0, le=1)
    out_of_scope: float = Field(0.20, gt=0, le=1)
    smalltalk: float = Field(0.50, gt=0, le=1)
    max_candidates: int = Field(3, ge=2, le=5)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.clarify_min >= self.answer:
            raise ValueError("clarify_min must be lower than answer")
        if self.answer_without_term < self.answer:
            raise ValueError("answer_without_term must be at least answer")
        return self


class EmbeddedNlu(_Strict):
    char_ngram_min: int = Field(2, ge=1, le=4)
    char_ngram_max: int = Field(4, ge=2, le=8)
    word_ngram_max: int = Field(2, ge=1, le=3)
    regularisation: float = Field(0.5, gt=0)
    calibration_folds: int = Field(3, ge=2, le=10)
    term_weight: float = Field(0.0, ge=0, le=10)
    domain_weight: float = Field(0.5, ge=0, le=10)
    terms_as_examples: bool = True


RASA_TOKEN_ENV = "LOTSE_RASA_TOKEN"


class RasaNlu(_Strict):
    url: str = Field("http://127.0.0.1:5005", pattern=r"^https?://[^/\s]+(/\S*)?$")
    timeout_seconds: float = Field(2.0, gt=0, le=30)
    retry_seconds: float = Field(10.0, ge=0, le=3600)
    # Train a model for an edited FAQ in the background and switch the server to it (bot/rasa_tools/follow.py).
    follow_faq: bool = True
    # From the environment (LOTSE_RASA_TOKEN), never from config.yml: see load_config.
    token: SecretStr | None = Field(None, exclude=True)


class Nlu(_Strict):
    backend: Literal["embedded", "rasa"] = "embedded"
    embedded: EmbeddedNlu = EmbeddedNlu()
    model_cache: Path | None = Path("var/nlu")  # trained embedded models (nlu/model_cache.py); None: keep none
    rasa: RasaNlu = RasaNlu()

    @model_validator(mode="after")
    def _rasa_token(self) -> Nlu:
        if self.backend == "rasa" and not (self.rasa.token and self.rasa.token.get_secret_value()):
            raise ValueError(
                f"backend rasa needs the environment variable {RASA_TOKEN_ENV} "
                "(the token `python -m bot rasa serve` runs with)"
            )
        return self


class Faq(_Strict):
    path: Path = Path("faq")
    required_topics: Path = Path("faq/_required-topics.yml")
    max_answer_chars: int = Field(900, ge=200, le=4000)
    answer_budget_chars: int = Field(1200, ge=200, le=4000)  # text and steps as sent: about one phone screen
    review_max_age_days: int = Field(365, ge=1)
    reload_seconds: float = Field(5.0, ge=0)


class Chat(_Strict):
    max_message_chars: int = Field(1500, ge=50, le=4000)


# Environment variables that override the telegram and database sections (env -> (section, key)).
# The two secrets exist only here: config.yml must not contain them.
ENV_OVERRIDES = {
    "TELEGRAM_BOT_TOKEN": ("telegram", "token"),
    "TELEGRAM_WEBHOOK_SECRET": ("telegram", "webhook_secret"),
    "TELEGRAM_API_BASE_URL": ("telegram", "api_base_url"),
    "TELEGRAM_WEBHOOK_URL": ("telegram", "webhook_url"),
    "LOTSE_LISTEN": ("telegram", "listen"),
    "LOTSE_DATABASE_URL": ("database", "url"),
    "LOTSE_MODEL_CACHE": ("nlu", "model_cache"),
}
_SECRET_KEYS = {("telegram", "token"): "TELEGRAM_BOT_TOKEN", ("telegram", "webhook_secret"): "TELEGRAM_WEBHOOK_SECRET"}


class TelegramRateLimit(_Strict):
    enabled: bool = True
    overall_per_second: float = Field(30, gt=0)
    group_per_minute: float = Field(20, gt=0)
    per_chat_per_second: float = Field(1, gt=0)
    per_chat_burst: int = Field(3, ge=1, le=20)
    max_retries: int = Field(3, ge=0, le=10)


class TelegramFlood(_Strict):
    max_messages: int = Field(20, ge=1)
    window_seconds: float = Field(60, gt=0)


class TelegramSettings(_Strict):
    api_base_url: str = Field("https://api.telegram.org/bot", pattern=r"^https?://\S+$")
    webhook_url: str | None = Field(None, pattern=r"^https?://[^/\s]+/\S*$")
    listen: str = "127.0.0.1:8080"
    max_concurrent_updates: int = Field(64, ge=1, le=1024)
    drop_pending_updates: bool = False
    rate_limit: TelegramRateLimit = TelegramRateLimit()
    flood: TelegramFlood = TelegramFlood()
    # From the environment only (TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET): see load_config.
    token: SecretStr | None = Field(None, exclude=True)
    webhook_secret: SecretStr | None = Field(None, exclude=True)

    @field_validator("token")
    @classmethod
    def _token_shape(cls, token: SecretStr | None) -> SecretStr | None:
        if token is not None and not re.fullmatch(r"\d+:[A-Za-z0-9_-]+", token.get_secret_value()):
            raise ValueError("TELEGRAM_BOT_TOKEN does not look like a bot token from BotFather (digits:letters)")
        return token

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, secret: SecretStr | None) -> SecretStr | None:
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", secret.get_secret_value()):
            raise ValueError("TELEGRAM_WEBHOOK_SECRET must be 16 to 256 characters of A-Z a-z 0-9 _ -")
        return secret

    @field_validator("listen")
    @classmethod
    def _listen_shape(cls, listen: str) -> str:
        match = re.fullmatch(r"(\[[0-9a-fA-F:.]+\]|[^:\[\]\s]+):(\d{1,5})", listen)
        if not match or int(match.group(2)) > 65535:
            raise ValueError("LOTSE_LISTEN must be host:port, e.g. 127.0.0.1:8080")
        return listen

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> TelegramSettings:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("TELEGRAM_WEBHOOK_URL is set, so TELEGRAM_WEBHOOK_SECRET must be set too")
        if self.webhook_url and self.webhook_path == "/healthz":
            raise ValueError("TELEGRAM_WEBHOOK_URL: the path /healthz is taken by the health check")
        return self

    @property
    def listen_host(self) -> str:
        return self.listen.rsplit(":", 1)[0].strip("[]")

    @property
    def listen_port(self) -> int:
        return int(self.listen.rsplit(":", 1)[1])

    @property
    def webhook_path(self) -> str:
        return urlsplit(self.webhook_url).path or "/" if self.webhook_url else ""


_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgres": "postgresql+asyncpg", "postgresql": "postgresql+asyncpg"}


class DatabaseSettings(_Strict):
    url: str | None = None  # None: the SQLite file var/lotse.db beside config.yml
    migrate: bool = True
    pool_size: int = Field(5, ge=1, le=100)
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _async_driver(cls, url: str | None) -> str | None:
        if url is None:
            return None
        scheme, sep, rest = url.partition("://")
        scheme = _ASYNC_DRIVERS.get(scheme, scheme)
        if not sep or scheme not in _ASYNC_DRIVERS.values():
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return f"{scheme}://{rest}"


# -- the hand-over to people (bot/tickets, docs/tickets.md) ------------------------------------------------------

TEAM_KEYS = ("authority", "coordinator")
_HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


class Team(_Strict):
    """A team of people who answer tickets, and where they work on Telegram."""

    name: Localized  # signs the answers ("Ausländerbehörde"), never a person's account
    telegram_group: int | None = None  # staff group chat id (negative, e.g. -1001234567890); None: no group
    forum: bool = False  # the group has topics enabled: one topic per ticket, else a card
    members: tuple[int, ...] = ()  # Telegram user ids allowed to claim, answer, hand over and close
    response_time: Localized = Localized(
        de="in der Regel innerhalb von zwei Werktagen", en="usually within two working days"
    )
    lang: Literal["de", "en"] = "de"  # language of the cards and notes in the staff group

    @field_validator("telegram_group")
    @classmethod
    def _group_id(cls, group: int | None) -> int | None:
        if group is not None and group >= 0:
            raise ValueError("a Telegram group's chat id is negative (e.g. -1001234567890)")
        return group


class OfficeHours(_Strict):
    days: tuple[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ...] = ("mon", "tue", "wed", "thu", "fri")
    start: str = Field("08:00", pattern=_HHMM)
    end: str = Field("16:00", pattern=_HHMM)
    timezone: str = "Europe/Berlin"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, zone: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {zone!r} (e.g. Europe/Berlin)") from exc
        return zone

    @model_validator(mode="after")
    def _ordered(self) -> OfficeHours:
        if self.start >= self.end:
            raise ValueError("office_hours.start must be before office_hours.end")
        return self


class Reminders(_Strict):
    unclaimed_after_minutes: float = Field(120, gt=0)  # re-announce an unclaimed ticket (office hours only)
    employer_no_answer_after_hours: float = Field(48, gt=0)  # tell the employer it takes longer
    autoclose_answered_after_days: float = Field(14, gt=0)  # answered and no reply: close
    check_every_seconds: float = Field(60, gt=0)
    office_hours: OfficeHours = OfficeHours()


class Outbox(_Strict):
    poll_seconds: float = Field(1.0, gt=0)  # how often the worker looks for messages (a commit wakes it too)
    batch: int = Field(20, ge=1, le=500)
    lease_seconds: float = Field(60, ge=5)  # a process that died mid-send leaves its rows to others after this
    max_attempts: int = Field(8, ge=1, le=100)  # then the message is marked failed and logged
    backoff_seconds: float = Field(2.0, gt=0)  # first retry; doubles each time ...
    backoff_max_seconds: float = Field(600, gt=0)  # ... up to this


def checked_teams(teams: dict[str, Team]) -> dict[str, Team]:
    """Both routes of a hand-over have a team, and no two teams share a staff group."""
    missing = [key for key in TEAM_KEYS if key not in teams]
    if missing:
        raise ValueError(f"teams must include {', '.join(missing)} (the routes a hand-over can take)")
    groups = [team.telegram_group for team in teams.values() if team.telegram_group is not None]
    if len(groups) != len(set(groups)):
        raise ValueError("two teams share one telegram_group; each team needs its own staff group")
    return teams


FileType = Literal["pdf", "jpeg", "png"]  # what a team may send an employer (bot/tickets/files.py checks the content)


class TeamFiles(_Strict):
    """Files from a team to an employer (a form, a checklist, a leaflet); employers cannot send files."""

    enabled: bool = True
    max_megabytes: float = Field(10, gt=0, le=20)  # Telegram lets a bot download at most 20 MB
    types: tuple[FileType, ...] = ("pdf", "jpeg", "png")

    @property
    def max_bytes(self) -> int:
        return int(self.max_megabytes * 1024 * 1024)


class Tickets(_Strict):
    enabled: bool = True
    teams: dict[str, Team] = {
        "authority": Team(name=Localized(de="Ausländerbehörde", en="Foreigners' authority")),
        "coordinator": Team(name=Localized(de="Netzwerkkoordination", en="Network coordination")),
    }
    reopen_within_days: float = Field(14, gt=0)  # an employer's reply after an answer reopens the ticket this long
    on_delete: Literal["delete", "anonymise"] = (
        "anonymise"  # /delete: remove tickets, or keep them without personal data
    )
    recent_messages: int = Field(5, ge=0, le=20)  # earlier questions of the chat shown on the staff card
    reminders: Reminders = Reminders()
    outbox: Outbox = Outbox()
    files: TeamFiles = TeamFiles()

    @field_validator("teams")
    @classmethod
    def _both_teams(cls, teams: dict[str, Team]) -> dict[str, Team]:
        return checked_teams(teams)

    def teams_of(self, user_id: int | str) -> tuple[str, ...]:
        """The teams a Telegram user may act for."""
        uid = int(user_id) if str(user_id).lstrip("-").isdigit() else None
        return tuple(key for key, team in self.teams.items() if uid is not None and uid in team.members)

    def team_of_group(self, chat_id: int) -> str | None:
        return next((key for key, team in self.teams.items() if team.telegram_group == chat_id), None)


# -- the web console and web chat (handlers/web, docs/web.md) ---------------------------------------------------

SESSION_SECRET_ENV = "LOTSE_SESSION_SECRET"


class WebSettings(_Strict):
    """The coordinators' console and the employers' web chat, served on telegram.listen (LOTSE_LISTEN)."""

    enabled: bool = True
    secure_cookies: bool = False  # true behind an https reverse proxy: cookies only over https
    session_idle_minutes: float = Field(120, gt=0, le=24 * 60)  # a console session ends after this without use
    session_max_hours: float = Field(12, gt=0, le=24 * 14)  # ... and after this in any case
    login_max_failures: int = Field(5, ge=1, le=100)  # wrong passwords in a row before a lock-out
    login_lock_minutes: float = Field(15, gt=0)
    chat_poll_seconds: float = Field(5, ge=1, le=300)  # how often the web chat asks for team answers
    # how often the console's queue page asks for its rows when it cannot listen to the event stream
    console_poll_seconds: float = Field(15, ge=1, le=300)
    chat_max_messages_per_minute: int = Field(20, ge=1)  # per chat; more gets a calm note
    chat_retention_days: float = Field(90, gt=0)  # web chat transcripts are deleted after this
    # Reverse proxies whose X-Forwarded-For is believed (addresses or networks); nobody else's is.
    trusted_proxies: tuple[str, ...] = ()
    chat_new_per_hour_per_address: int = Field(30, ge=1)  # new web chats one client address may start
    chat_messages_per_minute_per_address: int = Field(60, ge=1)  # over all its chats; more gets a calm note
    chat_tickets_per_hour_per_address: int = Field(5, ge=1)  # hand-overs from the web chat ...
    chat_tickets_per_hour: int = Field(60, ge=1)  # ... and from all web chats together

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        import ipaddress

        for address in value:
            try:
                ipaddress.ip_network(address, strict=False)
            except ValueError:
                raise ValueError(f"{address!r} is no IP address or network (e.g. 127.0.0.1 or 10.0.0.0/8)") from None
        return value


class Retention(_Strict):
    days: float = Field(365, gt=0)  # decisions, feedback, closed tickets are deleted after this
    processed_updates_days: float = Field(3, ge=1)  # the record that stops redelivered updates
    check_every_hours: float = Field(6, gt=0)


# -- the WhatsApp channel (handlers/whatsapp, docs/whatsapp.md) -------------------------------------------------

WHATSAPP_ENV = {
    "WHATSAPP_ACCESS_TOKEN": "access_token",  # set: the channel is on
    "WHATSAPP_APP_SECRET": "app_secret",  # the key of X-Hub-Signature-256
    "WHATSAPP_VERIFY_TOKEN": "verify_token",  # the GET handshake's token
    "WHATSAPP_PHONE_NUMBER_ID": "phone_number_id",  # the sending number
    "WHATSAPP_API_BASE_URL": "api_base_url",  # default https://graph.facebook.com (tests: a stand-in)
}


class WhatsAppTemplate(_Strict):
    """The approved utility template that tells an employer, outside the 24-hour window, that the team answered."""

    name: str = Field("lotse_antwort_bereit", pattern=r"^[a-z0-9_]{1,512}$")
    language: str = Field("de", pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")


class WhatsAppLimits(_Strict):
    """What Meta accepts (docs/whatsapp.md); lower values are allowed, higher ones are not."""

    text: int = Field(4096, ge=200, le=4096)
    interactive_body: int = Field(1024, ge=100, le=1024)
    buttons: int = Field(3, ge=1, le=3)
    button_title: int = Field(20, ge=5, le=20)
    button_id: int = Field(256, ge=64, le=256)
    list_rows: int = Field(10, ge=2, le=10)
    row_title: int = Field(24, ge=5, le=24)
    row_description: int = Field(72, ge=0, le=72)
    row_id: int = Field(200, ge=64, le=200)
    list_button: int = Field(20, ge=5, le=20)


class WhatsAppSettings(_Strict):
    """The Cloud API channel; secrets and the number only from the environment (WHATSAPP_ENV)."""

    graph_version: str = Field("v26.0", pattern=r"^v\d{2,3}\.\d$")
    template: WhatsAppTemplate = WhatsAppTemplate()
    limits: WhatsAppLimits = WhatsAppLimits()
    consent_version: str = Field("2026-12", min_length=1, max_length=16)  # the wording of the notify question
    window_hours: float = Field(24, gt=0, le=24)  # Meta's customer service window
    window_margin_minutes: float = Field(10, ge=0, le=600)  # answers this close to its end go as a template
    hold_hours: float = Field(24, gt=0)  # a held answer is looked at again after this
    rate_limit_pause_seconds: float = Field(60, ge=1)  # 130429: the whole number waits this long
    pair_rate_pause_seconds: float = Field(6, ge=6)  # 131056: that chat waits at least this long
    auth_pause_seconds: float = Field(600, ge=10)  # 190: stop sending for this long (alert)
    request_timeout_seconds: float = Field(10, gt=0, le=60)
    answer_within_seconds: float = Field(1.0, gt=0, le=20)  # the webhook answers Meta by then at the latest
    max_body_bytes: int = Field(1_000_000, ge=10_000)  # larger webhook bodies are refused (413)
    # From the environment only: see load_config.
    access_token: SecretStr | None = Field(None, exclude=True)
    app_secret: SecretStr | None = Field(None, exclude=True)
    verify_token: SecretStr | None = Field(None, exclude=True)
    phone_number_id: str | None = Field(None, pattern=r"^\d{1,32}$")
    api_base_url: str = Field("https://graph.facebook.com", pattern=r"^https?://[^/\s]+(/\S*)?$")

    @property
    def enabled(self) -> bool:
        return self.access_token is not None

    @model_validator(mode="after")
    def _complete(self) -> WhatsAppSettings:
        if self.enabled:
            missing = [
                variable
                for variable, key in WHATSAPP_ENV.items()
                if key not in ("access_token", "api_base_url") and getattr(self, key) is None
            ]
            if missing:
                raise ValueError(f"WHATSAPP_ACCESS_TOKEN is set, so {', '.join(missing)} must be set too")
        return self

    @property
    def messages_url(self) -> str:
        return f"{self.api_base_url.rstrip('/')}/{self.graph_version}/{self.phone_number_id}/messages"


# -- a network of districts (bot/districts, docs/districts.md) ----------------------------------------------------

IMPLICIT_DISTRICT = "default"  # the one district of a config without `districts:`
TEAM_SEPARATOR = "/"  # a district's team key in a network: "<district>/<team>", e.g. "goslar/authority"
_DISTRICT_ID = r"^[a-z][a-z0-9-]{1,19}$"
_TEAM_KEY_MAX = 32  # tickets.team is VARCHAR(32)


def route_of_team(team_key: str) -> str:
    """ "goslar/authority" -> "authority"; an unqualified key is its own route."""
    return team_key.rpartition(TEAM_SEPARATOR)[2]


class PublicLinks(_Strict):
    """Public addresses the entry links are built from (`python -m bot districts links`); no secrets."""

    telegram_bot: str | None = Field(None, pattern=r"^[A-Za-z][A-Za-z0-9_]{3,31}$")  # username, without @
    whatsapp_number: str | None = Field(None, pattern=r"^[1-9]\d{5,14}$")  # international, digits only, no +
    web_url: str | None = Field(None, pattern=r"^https?://[^/\s]+(/\S*)?$")  # where /chat/ is served publicly


class District(_Strict):
    """One district of a network: its people and its local knowledge; the law answers stay shared."""

    name: Localized
    code: str | None = Field(None, pattern=r"^[A-Za-z0-9-]{2,20}$")  # the WhatsApp entry text; default: the id
    contacts: Contacts
    teams: dict[str, Team] = Tickets.model_fields["teams"].default
    office_hours: OfficeHours | None = None  # None: tickets.reminders.office_hours
    faq: Path | None = None  # its overlay folder; None: <faq.path>/districts/<id> when that exists

    @field_validator("teams")
    @classmethod
    def _both_teams(cls, teams: dict[str, Team]) -> dict[str, Team]:
        return checked_teams(teams)


class Config(_Strict):
    languages: Languages = Languages()
    thresholds: Thresholds = Thresholds()
    nlu: Nlu = Nlu()
    faq: Faq = Faq()
    chat: Chat = Chat()
    telegram: TelegramSettings = TelegramSettings()
    database: DatabaseSettings = DatabaseSettings()
    tickets: Tickets = Tickets()
    web: WebSettings = WebSettings()
    retention: Retention = Retention()
    whatsapp: WhatsAppSettings = WhatsAppSettings()
    contacts: Contacts | None = None  # required without `districts:`; each district has its own
    districts: dict[str, District] = {}
    links: PublicLinks = PublicLinks()
    base_dir: Path = Path(".")

    def resolve(self, path: Path) -> Path:
        return path if path.is_absolute() else self.base_dir / path

    @model_validator(mode="after")
    def _network(self) -> Config:
        if not self.districts:
            if self.contacts is None:
                raise ValueError("contacts: Field required (or districts: with each district's contacts)")
            return self
        if "teams" in self.tickets.model_fields_set:
            raise ValueError("tickets.teams: with districts:, each district has its teams (districts.<id>.teams)")
        teams: dict[str, Team] = {}
        codes: dict[str, str] = {}
        for district_id, district in self.districts.items():
            if not re.fullmatch(_DISTRICT_ID, district_id):
                raise ValueError(f"districts.{district_id}: an id is 2-20 of a-z 0-9 -, starting with a letter")
            code = (district.code or district_id).lower()
            if code in codes:
                raise ValueError(f"districts.{district_id}.code: {code!r} is the code of {codes[code]} already")
            codes[code] = district_id
            for key, team in district.teams.items():
                qualified = f"{district_id}{TEAM_SEPARATOR}{key}"
                if len(qualified) > _TEAM_KEY_MAX:
                    raise ValueError(f"districts.{district_id}.teams.{key}: {qualified!r} is over 32 characters")
                teams[qualified] = team
        groups = [team.telegram_group for team in teams.values() if team.telegram_group is not None]
        shared = sorted({g for g in groups if groups.count(g) > 1})
        if shared:
            owners = [k for k, team in teams.items() if team.telegram_group in shared]
            raise ValueError(f"districts: {', '.join(owners)} share the telegram_group {shared[0]}; one group each")
        # Every team of the network under its qualified key: the ticket desk and the console need no other change.
        self.__dict__["tickets"] = self.tickets.model_copy(update={"teams": teams})
        return self

    # -- districts: a config without `districts:` is one implicit district -----------------------------------------

    @property
    def district_ids(self) -> tuple[str, ...]:
        return tuple(self.districts) or (IMPLICIT_DISTRICT,)

    def district(self, district_id: str | None) -> District:
        """The district's settings; the implicit district of a single-district config for any id.

        None in a network: the first district (previews of an answer that belongs to no chat).

        Raises:
            KeyError: a network has no such district.
        """
        if not self.districts:
            return self._implicit_district
        return self.districts[district_id or next(iter(self.districts))]

    @cached_property
    def _implicit_district(self) -> District:
        assert self.contacts is not None, "validated: a config without districts has contacts"
        name = Localized(de="", en="")
        return District(name=name, contacts=self.contacts, teams=self.tickets.teams)

    def team_key(self, district_id: str | None, route: str) -> str:
        """The ticket team a hand-over of `route` ("authority") from `district_id` goes to."""
        if not self.districts:
            return route
        return f"{district_id}{TEAM_SEPARATOR}{route}"

    def district_of_team(self, team_key: str) -> str:
        if not self.districts:
            return IMPLICIT_DISTRICT
        return team_key.partition(TEAM_SEPARATOR)[0]

    def teams_in_district(self, district_id: str) -> tuple[str, ...]:
        """The ticket team keys of one district (all teams in a single-district config)."""
        if not self.districts:
            return tuple(self.tickets.teams)
        prefix = f"{district_id}{TEAM_SEPARATOR}"
        return tuple(key for key in self.tickets.teams if key.startswith(prefix))

    def district_by_code(self, text: str) -> str | None:
        """The district whose id or entry code `text` is, ignoring case and spaces around it."""
        wanted = text.strip().lower()
        return next((d for d, dist in self.districts.items() if wanted in (d, (dist.code or d).lower())), None)


def _location(loc: tuple) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def _model_in(annotation) -> type[BaseModel] | None:
    """The settings model an annotation holds: Team for Team, Team | None and dict[str, Team]."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next((model for arg in get_args(annotation) if (model := _model_in(arg))), None)


def _known_keys(loc: tuple) -> list[str]:
    """The keys config.yml may have where `loc` points (the parts that are a dict's own keys are skipped)."""
    model: type[BaseModel] | None = Config
    for part in loc[:-1]:
        if model is not None and str(part) in model.model_fields:
            model = _model_in(model.model_fields[str(part)].annotation)
        # else: a key of a dict (a team, a district), whose values are `model` already
    if model is None:
        return []
    secret = set(WHATSAPP_ENV.values()) if model is WhatsAppSettings else set()  # from the environment only
    return [name for name, f in model.model_fields.items() if not f.exclude and name not in secret | {"base_dir"}]


def _problem(error) -> str:
    """One validation error as the operator reads it: the key, what is wrong, and for a typo what to write."""
    where = _location(error["loc"])
    if error["type"] != "extra_forbidden":
        return f"{where}: {error['msg']}"
    known = _known_keys(error["loc"])
    close = difflib.get_close_matches(str(error["loc"][-1]), known, n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    return f"{where}: unknown key; {hint}the keys here are {', '.join(known)} (config.yml explains each)"


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
    _add_secrets(raw, environ, path)
    _apply_environment(raw, environ, path)
    _add_whatsapp_environment(raw, environ, path)
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(_problem(e) for e in exc.errors())
        raise ConfigError(f"{path}: {problems}") from exc


def _add_secrets(raw: dict, environ: dict[str, str], path: Path) -> None:
    """Put the secrets from the environment where the schema expects them."""
    nlu = raw.get("nlu")
    rasa = nlu.get("rasa") if isinstance(nlu, dict) else None
    if isinstance(rasa, dict) and "token" in rasa:
        raise ConfigError(f"{path}: nlu.rasa.token: secrets never go into the file; set {RASA_TOKEN_ENV}")
    if (
        environ.get(RASA_TOKEN_ENV)
        and (nlu is None or isinstance(nlu, dict))
        and (rasa is None or isinstance(rasa, dict))
    ):
        raw["nlu"] = {**(nlu or {}), "rasa": {**(rasa or {}), "token": environ[RASA_TOKEN_ENV]}}


def _add_whatsapp_environment(raw: dict, environ: dict[str, str], path: Path) -> None:
    """The WhatsApp channel's secrets and number come from the environment only (WHATSAPP_ENV)."""
    section = raw.get("whatsapp")
    if section is not None and not isinstance(section, dict):
        return  # the schema reports the malformed section
    for variable, key in WHATSAPP_ENV.items():
        if section and key in section:
            raise ConfigError(f"{path}: whatsapp.{key}: it comes from the environment only; set {variable}")
    values = {
        key: environ[variable].strip() for variable, key in WHATSAPP_ENV.items() if environ.get(variable, "").strip()
    }
    if values:
        raw["whatsapp"] = {**(section or {}), **values}


def with_nlu_backend(config: Config, backend: str) -> Config:
    """The configuration with another classifier backend (the command line's --backend).

    Raises:
        ConfigError: the backend is unknown or lacks its settings (Rasa's token).
    """
    try:
        nlu = Nlu(
            backend=backend, embedded=config.nlu.embedded, rasa=config.nlu.rasa, model_cache=config.nlu.model_cache
        )
    except ValidationError as exc:
        raise ConfigError("; ".join(f"--backend {backend}: {e['msg']}" for e in exc.errors())) from exc
    return config.model_copy(update={"nlu": nlu})


def _apply_environment(raw: dict, environ: dict[str, str], path: Path) -> None:
    """Override the telegram and database sections from the environment (ENV_OVERRIDES)."""
    for (section, key), variable in _SECRET_KEYS.items():
        if isinstance(raw.get(section), dict) and key in raw[section]:
            raise ConfigError(f"{path}: {section}.{key}: secrets never go into the file; set {variable}")
    database = raw.get("database")
    if (
        isinstance(database, dict)
        and isinstance(database.get("url"), str)
        and "@" in database["url"]
        and ":" in database["url"].partition("://")[2].partition("@")[0]
    ):
        raise ConfigError(f"{path}: database.url: a URL with a password goes into LOTSE_DATABASE_URL, not the file")
    for variable, (section, key) in ENV_OVERRIDES.items():
        value = environ.get(variable, "").strip()
        if not value:
            continue
        if raw.get(section) is not None and not isinstance(raw[section], dict):
            continue  # the schema reports the malformed section
        raw[section] = {**(raw.get(section) or {}), key: value}
