"""payment_service's figures at ``/internal/metrics`` (see ``careforall_common.metrics``):
payments by state. Loaded by ``PaymentsConfig.ready``, once the models are."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from careforall_common.contracts.statuses import PaymentStatus
from payments.models import Payment


class PaymentsCollector(Collector):
    """Payments by state, counted at scrape time (one grouped query)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("careforall_payments", "Payments by state.", labels=["state"])
        counts = dict.fromkeys(PaymentStatus.values, 0)
        for row in Payment.objects.values("status").annotate(n=Count("id")).order_by():
            counts[row["status"]] = row["n"]
        for state, n in counts.items():
            family.add_metric([state], n)
        yield family
