"""Intent classification: one interface, two backends (embedded scikit-learn model, Rasa server)."""

from nlu.types import ROUTE_LABELS, Classification, IntentClassifier, Scored, TrainingExample, is_topic

__all__ = ["Classification", "IntentClassifier", "Scored", "TrainingExample", "ROUTE_LABELS", "is_topic"]
