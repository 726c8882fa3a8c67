"""The FAQ knowledge base: typed topics parsed once from faq/*.yml, checked, hot-reloaded."""

from bot.knowledge.library import KnowledgeBase, Snapshot, check_settings
from bot.knowledge.loader import FaqError, Issue, load_faq
from bot.knowledge.model import Area, Faq, Topic

__all__ = ["Area", "Faq", "FaqError", "Issue", "KnowledgeBase", "Snapshot", "Topic", "check_settings", "load_faq"]
