"""The core of the runtime: the FAQ, the classifier trained on it, and the dialogue (bot/runtime.py owns it).

`build_core` alone serves the commands that need no database (classify, evaluate).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import gc
import logging
import signal
from dataclasses import dataclass

from bot.config import Config
from bot.dialogue import Dialogue
from bot.knowledge import Faq, KnowledgeBase
from bot.metrics import TRAININGS
from bot.store import ChatStore, MemoryChatStore
from nlu.model import EmbeddedModel, EmbeddedSettings
from nlu.model_cache import trained_model
from nlu.types import IntentClassifier

log = logging.getLogger(__name__)


def stop_on_signals(stop: asyncio.Event) -> None:
    """Set `stop` on SIGINT and SIGTERM, so that a process shuts down in order."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows / not in the main thread
            loop.add_signal_handler(sig, stop.set)


def release_free_memory() -> None:
    """Give the memory freed after training back to the operating system (glibc only; elsewhere nothing).

    Training leaves tens of MiB of freed temporaries in malloc's arenas, which glibc keeps for
    reuse; malloc_trim returns them (about 40 MiB of resident memory, docs/performance.md).
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows): nothing to give back this way
        pass


def tune_runtime_for_serving() -> None:
    """Once a server has started: keep the garbage collector off what start-up built.

    The trained classifier, the FAQ and the imported libraries are a few hundred thousand objects
    that live as long as the process; Python's collector would walk all of them in every full
    collection, the slowest moments of a busy bot. gc.freeze() moves them out of its sight; the
    higher thresholds leave the short-lived objects of an update to reference counting. The
    effect is measured in docs/performance.md.
    """
    gc.collect()
    release_free_memory()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)


def classifier_factory(config: Config):
    """The function that makes a classifier for a FAQ, as config.yml's `nlu` section says.

    The embedded model comes from the model cache or is trained in a child process
    (nlu/model_cache.py): this process never imports scikit-learn.
    """
    settings = EmbeddedSettings(**config.nlu.embedded.model_dump())
    cache = config.resolve(config.nlu.model_cache) if config.nlu.model_cache else None

    def build(faq: Faq) -> IntentClassifier:
        embedded, trained = trained_model(faq.training_examples(), settings, cache)
        if trained:
            TRAININGS.inc()
        if config.nlu.backend == "rasa":
            return rasa_with_fallback(config, faq, embedded)
        return embedded

    return build


def rasa_with_fallback(config: Config, faq: Faq, embedded: EmbeddedModel) -> IntentClassifier:
    """Rasa over HTTP; the embedded model detects the language and stands in while Rasa is down."""
    from bot.rasa_tools.export import build_export
    from nlu.fallback import FailoverClassifier
    from nlu.rasa import RasaClassifier, RasaSettings

    rasa = config.nlu.rasa
    settings = RasaSettings(
        url=rasa.url,
        token=rasa.token.get_secret_value() if rasa.token else None,
        timeout_seconds=rasa.timeout_seconds,
        max_ranked=embedded.settings.max_ranked,
        expected_model=build_export(faq).model_file,
    )
    return FailoverClassifier(RasaClassifier(settings, embedded.labels, embedded), embedded, rasa.retry_seconds)


@dataclass
class Core:
    """Everything a channel needs: the dialogue and what it stands on."""

    config: Config
    knowledge: KnowledgeBase
    store: ChatStore
    dialogue: Dialogue
    _watcher: asyncio.Task | None = None

    def start(self) -> None:
        """Start watching faq/ for edits (config faq.reload_seconds; 0 switches it off)."""
        interval = self.config.faq.reload_seconds
        if interval > 0 and self._watcher is None:
            self._watcher = asyncio.get_running_loop().create_task(self.knowledge.watch(interval), name="faq-watch")

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
        await self.knowledge.current.classifier.close()


def build_core(config: Config, store: ChatStore | None = None) -> Core:
    """Load and check the FAQ, train the classifier and build the dialogue.

    Raises:
        FaqError: the FAQ has errors (a bot never starts on a broken FAQ).
    """
    knowledge = KnowledgeBase(config, classifier_factory(config))
    store = store if store is not None else MemoryChatStore()
    return Core(config, knowledge, store, Dialogue(config, knowledge, store))
