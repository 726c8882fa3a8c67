"""The Rasa backend: a Rasa NLU server asked over HTTP, with the same interface as the embedded one.

Rasa runs in its own virtual environment and process (`python -m bot rasa serve`); this module
only speaks HTTP to it. Texts are folded (nlu.text.fold) exactly as the exported training data
was, so "Beschäftigungserlaubnis" and "beschaeftigungserlaubnis" reach the model as one word.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

from nlu.text import fold
from nlu.types import Classification, Scored

log = logging.getLogger(__name__)

# Rasa's FallbackClassifier puts this label first when its own thresholds are missed; its
# "confidence" is the threshold, not a probability. Lotse's decision rule judges confidence
# and margin itself, so the label is dropped and the real ranking below it is used.
RASA_FALLBACK_INTENT = "nlu_fallback"


class RasaUnavailable(Exception):
    """Rasa gave no usable answer: not reachable, too slow, an error status or a malformed body."""


class LocalModel(Protocol):
    """What the Rasa backend borrows from the embedded classifier."""

    def language(self, text: str) -> tuple[str, float]:
        """The language of a text and the confidence in it."""

    def classify_sync(self, text: str) -> Classification:
        """The whole classification, for texts that are never sent to Rasa."""


@dataclass(frozen=True)
class RasaSettings:
    """Where the server is and how long to wait; config.yml's `nlu.rasa` section fills them."""

    url: str = "http://127.0.0.1:5005"
    token: str | None = None
    timeout_seconds: float = 2.0
    max_ranked: int = 10
    # File name of the model trained from this FAQ's export (`<hash>.tar.gz`); when the server
    # serves another one, a warning says so once.
    expected_model: str | None = None


class ServedModel:
    """Which model the Rasa server serves, and the labels it was trained on.

    One per process, shared by the classifiers of successive FAQ versions: a FAQ reload makes a
    new classifier at once, while the server keeps its model until a newer one is trained and
    switched to (bot/rasa_tools/follow.py). `labels` is None while not known (a model trained
    elsewhere); then Rasa is trusted with every label.
    """

    def __init__(self, labels_of: Callable[[str], frozenset[str] | None] = lambda model_file: None):
        self.model_file: str | None = None
        self.labels: frozenset[str] | None = None
        self._labels_of = labels_of

    def update(self, model_file: str | None, labels: Iterable[str] | None = None) -> None:
        """Record what the server serves; labels are looked up (model metadata) when not given."""
        if labels is not None:
            self.labels = frozenset(labels)
        elif model_file != self.model_file:
            self.labels = self._labels_of(model_file) if model_file else None
        self.model_file = model_file


def answered_locally(local: Classification, unknown: frozenset[str]) -> bool:
    """The embedded model's answer stands when its best label is one the served Rasa model lacks.

    After an editor adds a topic, the embedded model knows it at once, Rasa only after training;
    meanwhile Rasa would rank the question under some older topic, and such a question must
    reach the new topic instead.
    """
    return bool(local.ranking) and local.top.label in unknown


def must_stay_local(text: str) -> bool:
    """Commands and texts without words are never sent to Rasa.

    Rasa answers "/anything" with the intent "anything" at confidence 1.0 without asking its
    model, and classifies an empty text confidently too.
    """
    return text.lstrip().startswith("/") or not fold(text)


def ranking_from(payload: Any, labels: frozenset[str], max_ranked: int) -> tuple[Scored, ...]:
    """Lotse's ranking from a /model/parse answer: known labels only, confidences summing to 1.

    Raises:
        RasaUnavailable: the answer has no usable `intent_ranking`.
    """
    try:
        entries = [(str(e["name"]), float(e["confidence"])) for e in payload["intent_ranking"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise RasaUnavailable(f"malformed answer: no intent_ranking ({exc!r})") from exc
    kept: dict[str, float] = {}
    for name, confidence in entries:
        # Unknown names come from a model trained on another FAQ version; answering with a
        # topic this FAQ does not have would break the dialogue.
        if name in labels and name not in kept and math.isfinite(confidence) and confidence >= 0:
            kept[name] = confidence
    total = sum(kept.values())
    if total <= 0:
        raise RasaUnavailable(f"no known intent in the ranking: {[name for name, _ in entries][:5]}")
    ranked = sorted(kept.items(), key=lambda item: (-item[1], item[0]))[:max_ranked]
    return tuple(Scored(name, confidence / total) for name, confidence in ranked)


class RasaClassifier:
    """Ranks FAQ topics and routes with a Rasa server; the language comes from the embedded model.

    One HTTP session serves every request; it is opened on first use (inside the event loop)
    and closed by close().
    """

    name = "rasa"

    def __init__(
        self, settings: RasaSettings, labels: Iterable[str], local: LocalModel, served: ServedModel | None = None
    ):
        self.settings = settings
        self.labels = frozenset(labels)
        self._local = local
        self.served = served if served is not None else ServedModel()
        self._session: aiohttp.ClientSession | None = None
        self._params: Mapping[str, str] = {"token": settings.token} if settings.token else {}
        self._model_checked = settings.expected_model is None
        self.requests = 0
        self.local_answers = 0  # questions on topics the served model lacks, answered by the embedded model

    @property
    def unknown_labels(self) -> frozenset[str]:
        """This FAQ's labels the served model was not trained on (topics added since)."""
        known = self.served.labels
        return frozenset() if known is None else self.labels - known

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                base_url=self.settings.url.rstrip("/") + "/",
                timeout=aiohttp.ClientTimeout(total=self.settings.timeout_seconds),
            )
        return self._session

    async def parse(self, text: str) -> Any:
        """POST /model/parse and return the decoded JSON.

        Raises:
            RasaUnavailable: connection refused or reset, timeout, a non-200 status, or no JSON.
        """
        self.requests += 1
        try:
            async with self._open().post("model/parse", params=self._params, json={"text": text}) as response:
                if response.status != 200:
                    raise RasaUnavailable(f"HTTP {response.status} from {self.settings.url}/model/parse")
                return await response.json(content_type=None)
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise RasaUnavailable(f"{type(exc).__name__} from {self.settings.url}: {exc}".rstrip(": ")) from exc
        except ValueError as exc:  # the body was not JSON
            raise RasaUnavailable(f"malformed answer from {self.settings.url}: {exc}") from exc

    async def classify(self, text: str) -> Classification:
        if must_stay_local(text):
            return self._local.classify_sync(text)
        if not self._model_checked:
            await self._check_model()
        unknown = self.unknown_labels
        if unknown:
            local = self._local.classify_sync(text)
            if answered_locally(local, unknown):
                self.local_answers += 1
                return local
        ranking = ranking_from(await self.parse(fold(text)), self.labels, self.settings.max_ranked)
        lang, lang_confidence = self._local.language(text)
        return Classification(text, lang, lang_confidence, ranking, backend=self.name)

    async def _check_model(self) -> None:
        """Learn which model the server serves; warn once when it was not trained from this FAQ."""
        self._model_checked = True
        try:
            async with self._open().get("status", params=self._params) as response:
                served = (await response.json(content_type=None)).get("model_file")
        except (TimeoutError, aiohttp.ClientError, ValueError, AttributeError) as exc:
            log.debug("could not read Rasa's /status: %r", exc)
            return
        if served == self.settings.expected_model:
            self.served.update(served, self.labels)
            return
        self.served.update(served)
        log.warning(
            "Rasa serves model %s, but this FAQ's model is %s: until the server serves it "
            "(nlu.rasa.follow_faq trains and switches in the background; otherwise `python -m bot "
            "rasa train` and a restart of `serve`), the embedded model classifies questions on the "
            "%s topic(s) the served model lacks%s",
            served,
            self.settings.expected_model,
            len(self.unknown_labels),
            "" if self.served.labels is not None else " (not known for this model: Rasa is trusted with all)",
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
