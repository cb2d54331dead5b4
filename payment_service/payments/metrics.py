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
        yield self._refunds()

    def _refunds(self) -> GaugeMetricFamily:
        """Refunds by status (pending, succeeded, failed) and source (staff, provider, dispute)."""
        from payments.models import Refund

        family = GaugeMetricFamily(
            "careforall_refunds", "Refunds by status and source.", labels=["status", "source"]
        )
        rows = Refund.objects.values("status", "source").annotate(n=Count("id")).order_by()
        for row in rows:
            family.add_metric([row["status"], row["source"]], row["n"])
        return family
