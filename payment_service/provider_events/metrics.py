"""The provider's webhooks at ``/internal/metrics`` (see ``careforall_common.metrics``)."""

from __future__ import annotations

from prometheus_client import Counter

# processed, duplicate, ignored, no_change, unknown_intent (ProviderEventResult values), or a
# refusal before any of them: bad_signature (missing, wrong or stale) or not_an_event.
WEBHOOKS = Counter("careforall_webhooks", "Provider webhook deliveries, by outcome.", ["outcome"])


def webhook_counted(outcome: str) -> None:
    WEBHOOKS.labels(outcome).inc()
