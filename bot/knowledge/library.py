"""The FAQ a running bot serves, reloaded when editors change files, never replaced by a broken one."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.config import Config, Contacts
from bot.knowledge.loader import CheckSettings, FaqError, Issue, faq_files, load_faq
from bot.knowledge.model import Faq
from bot.knowledge.overlay import apply_overlays, overlay_files, overlay_folders
from bot.metrics import FAQ_RELOADS
from nlu.types import IntentClassifier

log = logging.getLogger(__name__)

ClassifierFactory = Callable[[Faq], IntentClassifier]


@dataclass(frozen=True)
class Snapshot:
    """One consistent FAQ and the classifier trained on it, swapped as a whole."""

    faq: Faq
    classifier: IntentClassifier
    warnings: tuple[Issue, ...] = ()


def check_settings(config: Config) -> CheckSettings:
    return CheckSettings(
        placeholders=frozenset(Contacts.model_fields),  # every district fills the same placeholders
        required_topics=config.resolve(config.faq.required_topics),
        max_answer_chars=config.faq.max_answer_chars,
        review_max_age_days=config.faq.review_max_age_days,
    )


def load_network_faq(config: Config) -> tuple[Faq, list[Issue]]:
    """The shared FAQ, with the districts' overlays (bot/knowledge/overlay.py) in a network.

    Raises:
        FaqError: the shared FAQ or an overlay has errors.
    """
    settings = check_settings(config)
    faq, warnings = load_faq(config.resolve(config.faq.path), settings)
    if not config.districts:
        return faq, warnings
    faq, overlay_warnings = apply_overlays(faq, overlay_folders(config), settings)
    return faq, warnings + overlay_warnings


class KnowledgeBase:
    """Holds the current Snapshot; `reload_if_changed` swaps it only for a FAQ that passes the check."""

    def __init__(self, config: Config, classifier_factory: ClassifierFactory):
        self._config = config
        self._factory = classifier_factory
        self.directory: Path = config.resolve(config.faq.path)
        self._fingerprint = self._current_fingerprint()
        faq, warnings = load_network_faq(config)  # a broken FAQ at start-up is fatal
        self.current = Snapshot(faq, classifier_factory(faq), tuple(warnings))
        self.last_error: FaqError | None = None
        # called with each newly served FAQ, in the event loop (the Rasa follower trains on it)
        self.on_reload: list[Callable[[Faq], None]] = []

    def _current_fingerprint(self) -> tuple:
        files = [*faq_files(self.directory), *overlay_files(overlay_folders(self._config))]
        return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)

    async def reload_if_changed(self) -> bool:
        """Load the FAQ again if a file changed. Returns True if a new FAQ is now served."""
        fingerprint = self._current_fingerprint()
        if fingerprint == self._fingerprint:
            return False
        self._fingerprint = fingerprint
        try:
            faq, warnings = await asyncio.to_thread(load_network_faq, self._config)
            classifier = await asyncio.to_thread(self._factory, faq)
        except FaqError as exc:
            self.last_error = exc
            FAQ_RELOADS.labels("failed").inc()
            log.error(
                "FAQ not reloaded, the last good version keeps serving:\n%s",
                "\n".join(str(i) for i in exc.issues if i.severity == "error"),
            )
            return False
        old = self.current.classifier
        self.current = Snapshot(faq, classifier, tuple(warnings))
        self.last_error = None
        if old is not classifier:
            await old.close()
        FAQ_RELOADS.labels("ok").inc()
        log.info("FAQ reloaded: %d topics", len(faq.topics))
        for listener in self.on_reload:
            listener(faq)
        return True

    async def watch(self, interval: float) -> None:
        """Poll for edited files until cancelled."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.reload_if_changed()
            except Exception:  # a reload must never end the watcher
                log.exception("FAQ reload failed")
