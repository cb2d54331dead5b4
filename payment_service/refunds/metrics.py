"""Refunds at ``/internal/metrics`` (see ``careforall_common.metrics``). Loaded by
``RefundsConfig.ready``, once the models are."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from refunds.models import Refund, RefundStatus


class RefundsCollector(Collector):
    """Refunds by status (pending, succeeded, failed) and source (staff, provider, dispute), and
    the refunds the provider failed after they succeeded: ``counted="removed"`` (un-counted) or
    ``"kept"`` (their payment stays REFUNDED: staff must settle with the donor)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "careforall_refunds", "Refunds by status and source.", labels=["status", "source"]
        )
        rows = Refund.objects.values("status", "source").annotate(n=Count("id")).order_by()
        for row in rows:
            family.add_metric([row["status"], row["source"]], row["n"])
        yield family
        later = GaugeMetricFamily(
            "careforall_refunds_failed_after_success",
            "Refunds the provider failed after they succeeded.",
            labels=["counted"],
        )
        failed_later = (
            Refund.objects.filter(failed_after_success_at__isnull=False)
            .values("status")
            .annotate(n=Count("id"))
            .order_by()
        )
        for counted in failed_later:
            kept = counted["status"] == RefundStatus.SUCCEEDED
            later.add_metric(["kept" if kept else "removed"], counted["n"])
        yield later
