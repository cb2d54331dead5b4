"""Refunds at ``/internal/metrics`` (see ``careforall_common.metrics``). Loaded by
``RefundsConfig.ready``, once the models are."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from refunds.models import Refund


class RefundsCollector(Collector):
    """Refunds by status (pending, succeeded, failed) and source (staff, provider, dispute)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "careforall_refunds", "Refunds by status and source.", labels=["status", "source"]
        )
        rows = Refund.objects.values("status", "source").annotate(n=Count("id")).order_by()
        for row in rows:
            family.add_metric([row["status"], row["source"]], row["n"])
        yield family
