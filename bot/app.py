"""The composition root: configuration, FAQ, classifier, storage and dialogue, wired in one place."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.config import Config
from bot.dialogue import Dialogue
from bot.knowledge import Faq, KnowledgeBase
from bot.store import ChatStore, MemoryChatStore
from nlu.embedded import EmbeddedClassifier, EmbeddedSettings
from nlu.types import IntentClassifier

log = logging.getLogger(__name__)


def classifier_factory(config: Config):
    """The function that trains a classifier for a FAQ, as config.yml's `nlu` section says."""
    settings = EmbeddedSettings(**config.nlu.embedded.model_dump())

    def build(faq: Faq) -> IntentClassifier:
        return EmbeddedClassifier(faq.training_examples(), settings)

    return build


@dataclass
class Core:
    """Everything a channel needs: the dialogue and what it stands on."""

    config: Config
    knowledge: KnowledgeBase
    store: ChatStore
    dialogue: Dialogue

    async def close(self) -> None:
        await self.knowledge.current.classifier.close()


def build_core(config: Config, store: ChatStore | None = None) -> Core:
    """Load and check the FAQ, train the classifier and build the dialogue.

    Raises:
        FaqError: the FAQ has errors (a bot never starts on a broken FAQ).
    """
    knowledge = KnowledgeBase(config, classifier_factory(config))
    store = store if store is not None else MemoryChatStore()
    return Core(config, knowledge, store, Dialogue(config, knowledge, store))
