"""Reconciliation's last result at ``/internal/metrics`` (see ``careforall_common.metrics``)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from reconciliation.selectors import reconciliation_last


class ReconciliationCollector(Collector):
    """The last run's differences, when it ran and whether it could compare: one query."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        differences = GaugeMetricFamily(
            "careforall_reconciliation_differences",
            "Differences between the read model and the pledges the last reconciliation left: "
            "all it found without --fix, those a repair could not settle with it.",
        )
        last_run = GaugeMetricFamily(
            "careforall_reconciliation_last_run_timestamp_seconds",
            "When the last reconciliation finished (Unix time; absent before the first run).",
        )
        failed = GaugeMetricFamily(
            "careforall_reconciliation_last_run_failed",
            "1 when the last reconciliation could not read pledge_service, so compared nothing.",
        )
        run = reconciliation_last()
        if run is not None:
            differences.add_metric([], run.differences_left)
            last_run.add_metric([], run.finished_at.timestamp())
            failed.add_metric([], 1 if run.error else 0)
        yield from (differences, last_run, failed)
