"""payment_service's own figures at ``/internal/metrics`` (see ``careforall_common.metrics``)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

# processed, duplicate, ignored, no_change, unknown_intent (ProviderEventResult values), or a
# refusal before any of them: bad_signature (missing, wrong or stale) or not_an_event.
WEBHOOKS = Counter("careforall_webhooks", "Provider webhook deliveries, by outcome.", ["outcome"])


def webhook_counted(outcome: str) -> None:
    WEBHOOKS.labels(outcome).inc()


class PaymentsCollector(Collector):
    """Payments by state, counted at scrape time (one grouped query)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from payments.models import Payment, PaymentStatus

        family = GaugeMetricFamily("careforall_payments", "Payments by state.", labels=["state"])
        counts = dict.fromkeys(PaymentStatus.values, 0)
        for row in Payment.objects.values("status").annotate(n=Count("id")).order_by():
            counts[row["status"]] = row["n"]
        for state, n in counts.items():
            family.add_metric([state], n)
        yield family
