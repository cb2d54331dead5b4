"""payment_service's figures at /internal/metrics: payments by state."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from careforall_common.contracts.statuses import PaymentStatus
from payments.models import Payment
from payments.tests.factories import payment_before_a_crash

pytestmark = pytest.mark.django_db


def scrape(client: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/internal/metrics")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


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
