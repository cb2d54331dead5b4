"""The provider's webhooks at ``/internal/metrics`` (see ``careforall_common.metrics``)."""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter

# processed, duplicate, ignored, no_change, unknown_intent (ProviderEventResult values), or a
# refusal before any of them: bad_signature (missing, wrong or stale) or not_an_event.
WEBHOOKS = Counter("careforall_webhooks", "Provider webhook deliveries, by outcome.", ["outcome"])
# Each outcome's child, looked up once (labels() takes a lock and builds a key every call).
_children: dict[str, Any] = {}


def webhook_counted(outcome: str) -> None:
    child = _children.get(outcome)
    if child is None:
        child = _children[outcome] = WEBHOOKS.labels(outcome)
    child.inc()
