"""Keep classifying when the primary backend (Rasa) is down: fall back, log once, switch back."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from nlu.rasa import RasaUnavailable
from nlu.types import Classification, IntentClassifier

log = logging.getLogger(__name__)


class FailoverClassifier:
    """Classifies with `primary`; while it is unavailable, with `fallback`.

    An outage is logged once when it starts and once when it ends, never per message. During
    an outage the primary is asked again at most every `retry_seconds`, so a server that hangs
    does not make every employer wait for the timeout.

    Attributes:
        outages: how many outages began.
        fallback_messages: how many messages the fallback classified.
    """

    def __init__(
        self,
        primary: IntentClassifier,
        fallback: IntentClassifier,
        retry_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.primary = primary
        self.fallback = fallback
        self.name = primary.name
        self.retry_seconds = retry_seconds
        self._clock = clock
        self.outages = 0
        self.fallback_messages = 0
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._outage_messages = 0

    @property
    def degraded(self) -> bool:
        """True while the fallback classifies."""
        return self._down_since is not None

    async def classify(self, text: str) -> Classification:
        if self._down_since is not None and self._clock() < self._retry_at:
            return await self._fall_back(text)
        try:
            result = await self.primary.classify(text)
        except RasaUnavailable as exc:
            now = self._clock()
            if self._down_since is None:
                self._down_since = now
                self._outage_messages = 0
                self.outages += 1
                log.warning(
                    "%s unavailable (%s): classifying with the %s model until it answers again",
                    self.primary.name,
                    exc,
                    self.fallback.name,
                )
            self._retry_at = now + self.retry_seconds
            return await self._fall_back(text)
        if self._down_since is not None:
            log.warning(
                "%s answers again after %.0f s; the %s model classified %d message(s) meanwhile",
                self.primary.name,
                self._clock() - self._down_since,
                self.fallback.name,
                self._outage_messages,
            )
            self._down_since = None
        return result

    async def _fall_back(self, text: str) -> Classification:
        self.fallback_messages += 1
        self._outage_messages += 1
        return await self.fallback.classify(text)

    async def close(self) -> None:
        try:
            await self.primary.close()
        finally:
            await self.fallback.close()
