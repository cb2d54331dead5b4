"""``/internal/metrics``: request figures, the outbox gauges and the inbox counters."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from careforall_common.inbox.apis import apply_events
from careforall_common.outbox.models import OutboxEvent, OutboxStatus
from careforall_common.outbox.services import outbox_write

pytestmark = pytest.mark.django_db


def scrape(client: Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, by name and labels."""
    response = client.get("/internal/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def requests_counted(samples: dict[Any, float], route: str, method: str, status: str) -> float:
    labels = (("method", method), ("route", route), ("status", status))
    return samples.get(("careforall_http_request_duration_seconds_count", labels), 0.0)


def test_each_request_is_counted_under_its_route_pattern_method_and_status() -> None:
    client = Client()
    before = scrape(client)

    client.post("/echo", {"amount": 5}, content_type="application/json")
    client.post("/echo", {"amount": 0}, content_type="application/json")
    client.get("/no/such/route/12345")
    client.generic("BREW", "/echo")
    after = scrape(client)

    assert requests_counted(after, "echo", "POST", "200") == (
        requests_counted(before, "echo", "POST", "200") + 1
    )
    assert requests_counted(after, "echo", "POST", "400") == (
        requests_counted(before, "echo", "POST", "400") + 1
    )
    # The raw path never becomes a label; neither does a method a client makes up.
    assert requests_counted(after, "unmatched", "GET", "404") >= 1
    assert requests_counted(after, "echo", "other", "405") >= 1
    assert not any("12345" in str(labels) or "BREW" in str(labels) for _, labels in after)
    # The scrape itself is observed too, and its latency lands in a bucket.
    bucket = (
        "careforall_http_request_duration_seconds_bucket",
        (("le", "+Inf"), ("method", "GET"), ("route", "internal/metrics"), ("status", "200")),
    )
    assert after[bucket] >= 1


def test_the_outbox_gauges_show_what_waits_how_long_and_the_dead_letters() -> None:
    client = Client()
    assert scrape(client)[("careforall_outbox_pending", (("destination", "sink"),))] == 0
    with transaction.atomic():
        outbox_write(event_type="THING_CHANGED", aggregate_type="t", aggregate_id=1, payload={})
    OutboxEvent.objects.filter(destination="sink").update(
        occurred_at=timezone.now() - timedelta(seconds=90)
    )
    dead = OutboxEvent.objects.get(destination="sink2")
    OutboxEvent.objects.create(
        event_id=uuid.uuid4(),
        destination="sink",
        event_type="THING_HAPPENED",
        source="common",
        aggregate_type="t",
        aggregate_id=2,
        payload={},
        status=OutboxStatus.DEAD,
    )
    OutboxEvent.objects.filter(pk=dead.pk).update(status=OutboxStatus.SENT)

    samples = scrape(client)

    assert samples[("careforall_outbox_pending", (("destination", "sink"),))] == 1
    assert samples[("careforall_outbox_pending", (("destination", "sink2"),))] == 0
    age = samples[("careforall_outbox_oldest_pending_age_seconds", (("destination", "sink"),))]
    assert 89 <= age < 150
    assert (
        samples[("careforall_outbox_oldest_pending_age_seconds", (("destination", "sink2"),))] == 0
    )
    assert samples[("careforall_outbox_dead", (("destination", "sink"),))] == 1
    assert samples[("careforall_outbox_dead", (("destination", "sink2"),))] == 0
    assert samples[("careforall_metrics_collector_up", (("collector", "OutboxCollector"),))] == 1

    OutboxEvent.objects.update(status=OutboxStatus.SENT)
    samples = scrape(client)
    assert samples[("careforall_outbox_pending", (("destination", "sink"),))] == 0
    assert (
        samples[("careforall_outbox_oldest_pending_age_seconds", (("destination", "sink"),))] == 0
    )


def test_the_outbox_gauges_cost_one_query(django_assert_num_queries: Any) -> None:
    from careforall_common.metrics import OutboxCollector

    with django_assert_num_queries(1):
        list(OutboxCollector().collect())


def envelope(**payload: Any) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": "THING_HAPPENED",
        "event_version": 1,
        "occurred_at": timezone.now().isoformat(),
        "source": "common",
        "aggregate_id": 1,
        "request_id": "r1",
        "payload": payload,
    }


def events_counted(samples: dict[Any, float], event_type: str, result: str) -> float:
    labels = (("event_type", event_type), ("result", result))
    return samples.get(("careforall_events_total", labels), 0.0)


@pytest.mark.django_db(transaction=True)
def test_each_event_a_consumer_receives_is_counted_by_type_and_result() -> None:
    client = Client()
    before = scrape(client)
    fine = envelope()

    apply_events([fine, fine, envelope(poison=True), {"event_id": "x"}])
    apply_events([envelope(explode=True)])
    after = scrape(client)

    for event_type, result, moved in [
        ("THING_HAPPENED", "processed", 1),
        ("THING_HAPPENED", "duplicate", 1),
        ("THING_HAPPENED", "rejected", 1),
        ("THING_HAPPENED", "failed", 1),
        ("invalid", "rejected", 1),
    ]:
        assert events_counted(after, event_type, result) == (
            events_counted(before, event_type, result) + moved
        ), (event_type, result)


def test_under_gunicorn_the_scrape_adds_up_every_workers_figures(
    tmp_path: Any, monkeypatch: Any
) -> None:
    import os
    import subprocess
    import sys

    from careforall_common.metrics import registry

    observe = (
        "from careforall_common.metrics import REQUEST_SECONDS;"
        "REQUEST_SECONDS.labels('api/pledges', 'POST', '201').observe(0.004)"
    )
    for _ in range(2):  # two worker processes, each writing its own file
        subprocess.run(  # noqa: S603
            [sys.executable, "-c", observe],
            check=True,
            env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)},
        )
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))

    value = registry().get_sample_value(
        "careforall_http_request_duration_seconds_count",
        {"route": "api/pledges", "method": "POST", "status": "201"},
    )

    assert value == 2
    assert len(list(tmp_path.iterdir())) == 2
