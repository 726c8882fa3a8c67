"""What operators see at GET /metrics (Prometheus text format, through prometheus-client).

The counters live in prometheus-client's default registry, one set per process, as that library
intends; every runtime of the process counts into them. Labels are bounded sets (channels, routes,
teams, outcomes): never a chat id or a message text.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

UPDATES = Counter("lotse_updates", "Messages, commands and button presses received, by channel", ["channel"])
DECISIONS = Counter(
    "lotse_decisions", "Decisions on employers' questions, by route (clarify = a clarification)", ["route"]
)
HANDOVERS = Counter("lotse_handovers", "Tickets opened by a hand-over, by team", ["team"])
OUTBOX_BACKLOG = Gauge(
    "lotse_outbox_backlog", "Outbox messages not yet delivered, by channel (read at scrape time)", ["channel"]
)
DELIVERY_FAILURES = Counter(
    "lotse_delivery_failures",
    "Outbox sends that failed, by channel and outcome (retry: tried again later; failed: given up)",
    ["channel", "outcome"],
)
CLASSIFY_SECONDS = Histogram(
    "lotse_classify_seconds",
    "Time to classify one question",
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 2.5),
)
FAQ_RELOADS = Counter("lotse_faq_reloads", "Reloads of faq/ after an edit, by outcome (ok, failed)", ["outcome"])
MIGRATIONS = Counter("lotse_schema_migrations", "Schema migrations this process ran at start-up")
TRAININGS = Counter(
    "lotse_classifier_trainings", "Classifier trainings (start-up and FAQ reloads; none when the model cache has it)"
)

__all__ = [
    "CLASSIFY_SECONDS",
    "CONTENT_TYPE_LATEST",
    "DECISIONS",
    "DELIVERY_FAILURES",
    "FAQ_RELOADS",
    "HANDOVERS",
    "MIGRATIONS",
    "OUTBOX_BACKLOG",
    "TRAININGS",
    "UPDATES",
    "generate_latest",
]
