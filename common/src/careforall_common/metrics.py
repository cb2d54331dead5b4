"""Prometheus metrics of a service, at ``GET /internal/metrics`` (the gateway never routes it).

Two kinds of figures:

- **Counted as they happen**, in the process that sees them: requests (``MetricsMiddleware``),
  events applied at a consumer (``event_counted``), webhook outcomes (payment_service). Under
  gunicorn, ``PROMETHEUS_MULTIPROC_DIR`` (set per service by ``scripts/up`` and compose, emptied
  at each start) makes every worker write its figures to files the scrape adds up.
- **Computed at scrape time** from the database by collectors: the outbox (one grouped query) and
  whatever a service adds with ``collector_add`` (payment_service: payments by state). No request
  pays for them.

The request histogram's ``_count`` is the request count: one observation per request, through a
child looked up once per (route, method, status) and kept.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.apps import apps
from django.db.models import Count, Min, Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

# Enough resolution for a pledge create (a few ms) up to the 5 s internal timeout.
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUEST_SECONDS = Histogram(
    "careforall_http_request_duration_seconds",
    "Time to answer a request, by route pattern, method and status; _count counts requests.",
    ["route", "method", "status"],
    buckets=LATENCY_BUCKETS,
)
EVENTS = Counter(
    "careforall_events",
    "Events a consumer received, by type and result (processed, duplicate, rejected, failed).",
    ["event_type", "result"],
)


class MetricsMiddleware:
    """Observe each request's latency under its route pattern (never its raw path).

    Outermost, so problem documents and early refusals count too. A request no route matched is
    ``route="unmatched"``; a method outside ``METHODS`` is ``"other"``: the labels stay bounded
    whatever a client sends.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._children: dict[tuple[str, str, int], Any] = {}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        key = (
            match.route if match is not None else "unmatched",
            request.method if request.method in METHODS else "other",
            response.status_code,
        )
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = REQUEST_SECONDS.labels(key[0], key[1], str(key[2]))
        child.observe(time.perf_counter() - started)
        return response


def event_counted(event_type: str, result: str) -> None:
    """Count one event a consumer received, with the status of its result."""
    EVENTS.labels(event_type, result).inc()


_collectors: list[Collector] = []


def collector_add(collector: Collector) -> None:
    """Add a scrape-time collector of this service (call it from an ``AppConfig.ready``)."""
    if collector not in _collectors:
        _collectors.append(collector)


class OutboxCollector(Collector):
    """Rows waiting per destination, the age of the oldest, and dead letters: one query."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from careforall_common.conf import careforall_settings
        from careforall_common.outbox.models import OutboxEvent, OutboxStatus

        pending = GaugeMetricFamily(
            "careforall_outbox_pending", "Outbox rows not yet delivered.", labels=["destination"]
        )
        age = GaugeMetricFamily(
            "careforall_outbox_oldest_pending_age_seconds",
            "Age of the oldest outbox row not yet delivered (0 when none waits).",
            labels=["destination"],
        )
        dead = GaugeMetricFamily(
            "careforall_outbox_dead",
            "Dead letters: outbox rows a consumer refused or that ran out of attempts.",
            labels=["destination"],
        )
        destinations = {d for routes in careforall_settings.OUTBOX_ROUTES.values() for d in routes}
        figures: dict[str, dict[str, Any]] = {
            d: {"pending": 0, "dead": 0, "oldest": None} for d in destinations
        }
        rows = (
            OutboxEvent.objects.filter(status__in=[OutboxStatus.PENDING, OutboxStatus.DEAD])
            .values("destination")
            .annotate(
                pending=Count("id", filter=Q(status=OutboxStatus.PENDING)),
                dead=Count("id", filter=Q(status=OutboxStatus.DEAD)),
                oldest=Min("occurred_at", filter=Q(status=OutboxStatus.PENDING)),
            )
            .order_by()
        )
        for row in rows:
            figures[row["destination"]] = dict(row)
        now = timezone.now()
        for destination, figure in sorted(figures.items()):
            pending.add_metric([destination], figure["pending"])
            oldest = figure["oldest"]
            age.add_metric([destination], max(0.0, (now - oldest).total_seconds()) if oldest else 0)
            dead.add_metric([destination], figure["dead"])
        yield from (pending, age, dead)


def _scrape_collectors() -> list[Collector]:
    found: list[Collector] = []
    if apps.is_installed("careforall_common.outbox"):
        found.append(OutboxCollector())
    return [*found, *_collectors]


class _Guarded(Collector):
    """A scrape-time collector whose failure (the database away) leaves the rest of the scrape."""

    def __init__(self, collectors: Iterable[Collector]) -> None:
        self.collectors = list(collectors)

    def collect(self) -> Iterator[Any]:
        up = GaugeMetricFamily(
            "careforall_metrics_collector_up",
            "1 when a scrape-time collector answered, 0 when it failed.",
            labels=["collector"],
        )
        for collector in self.collectors:
            try:
                families = list(collector.collect())
            except Exception:
                logger.warning("metrics: %s failed", type(collector).__name__, exc_info=True)
                up.add_metric([type(collector).__name__], 0)
                continue
            up.add_metric([type(collector).__name__], 1)
            yield from families
        yield up


def registry() -> CollectorRegistry:
    """The registry a scrape reads: every worker's figures, then the scrape-time ones."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        scrape = CollectorRegistry()
        multiprocess.MultiProcessCollector(scrape)  # type: ignore[no-untyped-call]
    else:
        scrape = CollectorRegistry()
        scrape.register(_Process(REGISTRY))
    scrape.register(_Guarded(_scrape_collectors()))
    return scrape


class _Process(Collector):
    """This process's own registry, when there is no multiprocess directory (tests, runserver)."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterator[Any]:
        yield from self.source.collect()


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """The service's figures in the Prometheus text format."""
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
