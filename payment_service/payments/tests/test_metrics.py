"""payment_service's figures at /internal/metrics: webhook outcomes and payments by state."""

from __future__ import annotations

import time
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from payments.models import Payment, PaymentStatus
from payments.tests.factories import payment_before_a_crash, webhook_post

pytestmark = pytest.mark.django_db


def scrape(client: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/internal/metrics")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def outcome(samples: dict[Any, float], name: str) -> float:
    return samples.get(("careforall_webhooks_total", (("outcome", name),)), 0.0)


def test_each_webhook_delivery_is_counted_by_outcome(client: Any) -> None:
    before = scrape(client)
    event = {"id": "evt_metrics_1", "type": "customer.created", "data": {"object": {"id": "cus_1"}}}

    webhook_post(client, event)
    webhook_post(client, event)  # the provider delivers again
    webhook_post(client, event, signature="t=1,v1=00")
    webhook_post(client, event, at=int(time.time()) - 3_600)  # stale
    webhook_post(client, b'["signed", "but no event"]')
    after = scrape(client)

    for name, moved in [
        ("ignored", 1),
        ("duplicate", 1),
        ("bad_signature", 2),
        ("not_an_event", 1),
    ]:
        assert outcome(after, name) == outcome(before, name) + moved, name


def test_payments_are_counted_by_state_at_scrape_time(client: Any) -> None:
    payment_before_a_crash(41)
    payment_before_a_crash(42, key="key-2")
    Payment.objects.filter(pledge_id=42).update(
        status=PaymentStatus.CAPTURED, provider_payment_id="pi_metrics"
    )

    samples = scrape(client)

    assert samples[("careforall_payments", (("state", "PROCESSING"),))] == 1
    assert samples[("careforall_payments", (("state", "CAPTURED"),))] == 1
    assert samples[("careforall_payments", (("state", "AUTHORIZED"),))] == 0
    assert samples[("careforall_payments", (("state", "FAILED"),))] == 0
    assert samples[("careforall_metrics_collector_up", (("collector", "PaymentsCollector"),))] == 1
    assert samples[("careforall_outbox_dead", (("destination", "pledge"),))] == 0


def test_refunds_are_counted_by_status_and_source(client: Any) -> None:
    from payments.models import Refund, RefundSource, RefundStatus

    made = payment_before_a_crash()
    Payment.objects.filter(pk=made.pk).update(
        status=PaymentStatus.CAPTURED, provider_payment_id="pi_metrics"
    )
    Refund.objects.create(
        payment=made,
        amount=100,
        currency="usd",
        source=RefundSource.STAFF,
        status=RefundStatus.PENDING,
    )

    samples = scrape(client)

    labels = (("source", "staff"), ("status", "pending"))
    assert samples[("careforall_refunds", labels)] == 1.0
