"""The operator's view after one donation through the gateway (issue 12): each service's metrics
move, the outbox gauges return to zero, a dead letter shows, one trace spans every service and
the relay, and the workers' heartbeats answer. Metrics and health are read from the services
themselves: the gateway answers 404 for /internal/."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import MySQLdb
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from integration.conftest import Platform
from integration.support import (
    Donor,
    bearer,
    create_campaign,
    get_campaign,
    local_platform,
    process_tree,
    wait_until,
)

SERVICES = {"user": 8001, "campaign": 8002, "pledge": 8003, "payment": 8004}
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(service: str) -> Samples:
    response = requests.get(f"http://127.0.0.1:{SERVICES[service]}/internal/metrics", timeout=10)
    assert response.status_code == 200, response.text
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def requests_of(samples: Samples, route: str, method: str, status: str) -> float:
    return value(
        samples,
        "careforall_http_request_duration_seconds_count",
        route=route,
        method=method,
        status=status,
    )


def events_of(samples: Samples, event_type: str, result: str = "processed") -> float:
    return value(samples, "careforall_events_total", event_type=event_type, result=result)


def outbox(samples: Samples, gauge: str) -> dict[str, float]:
    name = f"careforall_outbox_{gauge}"
    return {dict(labels)["destination"]: v for (n, labels), v in samples.items() if n == name}


def donate(
    gateway: str, staff_token: str, donor: Donor, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """One donation as the donor site makes it: pledge, pay with a Visa, wait for the capture."""
    campaign_id = int(str(create_campaign(gateway, staff_token)["id"]))
    extra = headers or {}
    pledge = requests.post(
        f"{gateway}/api/pledges",
        json={"campaign_id": campaign_id, "amount": 2500},
        headers={"Idempotency-Key": uuid.uuid4().hex, **bearer(donor.access), **extra},
        timeout=30,
    )
    assert pledge.status_code == 201, pledge.text
    payment = requests.post(
        f"{gateway}/api/payments",
        json={"pledge_id": pledge.json()["id"], "payment_method": "pm_card_visa"},
        headers={"Idempotency-Key": uuid.uuid4().hex, **bearer(donor.access), **extra},
        timeout=30,
    )
    assert payment.status_code == 201, payment.text
    wait_until(lambda: get_campaign(gateway, campaign_id)["captured_amount"] == 2500, timeout=15)
    return {"campaign_id": campaign_id, "pledge": pledge.json(), "payment": payment.json()}


def test_the_metrics_and_health_paths_answer_404_through_the_gateway(gateway: str) -> None:
    for path in ("/internal/metrics", "/internal/health/live", "/internal/health/workers"):
        response = requests.get(f"{gateway}{path}", timeout=10)
        assert response.status_code == 404, path
        assert response.headers["Content-Type"].startswith("application/problem+json")


def test_a_donation_moves_every_services_metrics_and_the_outbox_empties(
    gateway: str, staff_token: str, donor: Donor
) -> None:
    before = {service: scrape(service) for service in SERVICES}

    donate(gateway, staff_token, donor)

    def webhooks(samples: Samples) -> float:
        return sum(v for (n, _), v in samples.items() if n == "careforall_webhooks_total")

    def settled() -> bool:
        outboxes_empty = all(
            not any(outbox(scrape(service), "pending").values())
            for service in ("pledge", "payment", "campaign")
        )
        # The sandbox's webhooks of the payment arrive on their own time.
        return outboxes_empty and webhooks(scrape("payment")) > webhooks(before["payment"])

    wait_until(settled, timeout=15)
    after = {service: scrape(service) for service in SERVICES}

    def moved(service: str, metric: Any, *args: str) -> float:
        return float(metric(after[service], *args) - metric(before[service], *args))

    assert moved("pledge", requests_of, "api/pledges", "POST", "201") == 1
    assert moved("payment", requests_of, "api/payments", "POST", "201") == 1
    assert moved("campaign", requests_of, "api/campaigns", "POST", "201") == 1
    assert moved("campaign", events_of, "PLEDGE_CREATED") == 1
    assert moved("campaign", events_of, "PAYMENT_CAPTURED") == 1
    assert moved("pledge", events_of, "PAYMENT_CAPTURED") == 1
    captured = ("careforall_payments", (("state", "CAPTURED"),))
    assert after["payment"][captured] - before["payment"].get(captured, 0) == 1
    for service in ("pledge", "payment", "campaign"):
        assert set(outbox(after[service], "pending").values()) <= {0}, service
        assert set(outbox(after[service], "oldest_pending_age_seconds").values()) <= {0}, service
    assert "campaign" in outbox(after["pledge"], "pending")
    assert {"campaign", "pledge"} <= set(outbox(after["payment"], "pending"))


@pytest.fixture
def planted_dead_letter(platform: Platform) -> Iterator[str]:
    """A dead outbox row in pledge_service's database, removed afterwards."""
    event_id = str(uuid.uuid4())
    conn = MySQLdb.connect(
        host="127.0.0.1", user="root", password="", database=f"{platform.database_prefix}pledge"
    )
    cursor = conn.cursor()
    cursor.execute(
        "INSERT INTO outbox_outboxevent (event_id, destination, event_type, event_version,"
        " source, aggregate_type, aggregate_id, occurred_at, request_id, payload, status,"
        " attempts, next_attempt_at, last_error)"
        " VALUES (%s, 'campaign', 'PLEDGE_CREATED', 1, 'pledge', 'pledge', 999999999,"
        " UTC_TIMESTAMP(6), 'planted', '{}', 'dead', 1, UTC_TIMESTAMP(6), 'planted by a test')",
        [event_id.replace("-", "")],
    )
    conn.commit()
    yield event_id
    cursor.execute(
        "DELETE FROM outbox_outboxevent WHERE event_id = %s", [event_id.replace("-", "")]
    )
    conn.commit()
    conn.close()


def test_a_planted_dead_letter_shows_in_the_gauge(planted_dead_letter: str) -> None:
    dead = outbox(scrape("pledge"), "dead")

    assert dead["campaign"] >= 1
    assert value(scrape("pledge"), "careforall_metrics_collector_up", collector="OutboxCollector")


def test_the_workers_and_beat_of_every_service_with_an_outbox_beat(gateway: str) -> None:
    for service in ("campaign", "pledge", "payment"):
        url = f"http://127.0.0.1:{SERVICES[service]}/internal/health/workers"
        response = requests.get(url, timeout=10)
        assert response.status_code == 200, (service, response.text)
        body = response.json()
        assert [b["node"] for b in body["worker"]] == [f"{service}@{os.uname().nodename}"]
        assert len(body["beat"]) == 1
        assert all(b["age_seconds"] < 60 for b in body["worker"] + body["beat"])
        live = requests.get(f"http://127.0.0.1:{SERVICES[service]}/internal/health/live", timeout=5)
        assert live.json() == {"status": "ok", "service": service}
    workers = requests.get(
        f"http://127.0.0.1:{SERVICES['user']}/internal/health/workers", timeout=5
    )
    assert workers.status_code == 200  # no outbox, no worker expected


def spans_in(directory: Path, trace_id: str) -> list[dict[str, Any]]:
    """Every finished span of ``trace_id``, with the pid of the process that wrote it."""
    found = []
    for path in directory.glob("*.jsonl"):
        pid = int(path.stem.rsplit("-", 1)[1])
        for line in path.read_text().splitlines():
            if f'"0x{trace_id}"' not in line:
                continue
            span = json.loads(line)
            if span["context"]["trace_id"] == f"0x{trace_id}":
                found.append({**span, "pid": pid})
    return found


def test_one_donation_is_one_trace_across_the_services_and_the_relay(
    platform: Platform, gateway: str, staff_token: str, donor: Donor
) -> None:
    local_platform(platform)  # the spans are files of the platform this suite starts
    # The donor's browser (or any W3C-instrumented client) ties its requests into one trace.
    trace_id = secrets.token_hex(16)
    traceparent = f"00-{trace_id}-{secrets.token_hex(8)}-01"

    # As the donor site sends it: the gateway keeps a client traceparent from its own origin only.
    donate(
        gateway, staff_token, donor, {"traceparent": traceparent, "Sec-Fetch-Site": "same-origin"}
    )

    relay = process_tree(platform.pid("worker-pledge"))

    def names() -> set[tuple[str, ...]]:
        return {
            (s["resource"]["attributes"]["service.name"], s["name"])
            + ("relay",) * (s["pid"] in relay)
            for s in spans_in(platform.traces, trace_id)
        }

    wanted = {
        # Django: each service's request, the ingestion views included.
        ("careforall-pledge", "POST api/pledges"),
        ("careforall-payment", "POST api/payments"),
        ("careforall-campaign", "POST internal/events"),
        ("careforall-pledge", "GET internal/pledges/<int:pledge_id>"),
        # The relay (pledge_service's Celery worker) and requests' call to the consumer.
        ("careforall-pledge", "outbox deliver campaign", "relay"),
        ("careforall-pledge", "POST", "relay"),
        # Each consumer applies the events under their trace.
        ("careforall-campaign", "event PLEDGE_CREATED apply"),
        ("careforall-campaign", "event PAYMENT_AUTHORIZED apply"),
        ("careforall-pledge", "event PAYMENT_AUTHORIZED apply"),
        # Celery: the capture is sent and run in the payment request's trace.
        ("careforall-payment", "apply_async/payments.capture"),
        ("careforall-payment", "run/payments.capture"),
    }

    try:
        wait_until(lambda: wanted <= names(), timeout=15, interval=0.25)
    except AssertionError:
        pytest.fail(f"spans of the trace: {sorted(names())}")
    spans = spans_in(platform.traces, trace_id)
    # The database client is traced too, inside the services.
    assert any(s["attributes"].get("db.system") == "mysql" for s in spans)


def test_nginx_counts_on_its_own_socket_and_not_on_the_public_port(
    platform: Platform, gateway: str
) -> None:
    local_platform(platform)  # the status socket is a file of the platform this suite starts
    socket = platform.var / "run" / "nginx-status.sock"
    done = subprocess.run(
        ["curl", "-fsS", "--unix-socket", str(socket), "http://localhost/stub_status"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Active connections: ")
    assert "stub_status" not in requests.get(f"{gateway}/stub_status", timeout=10).text
