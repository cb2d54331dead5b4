"""Refunds at /internal/metrics, by status and source."""

from __future__ import annotations

from typing import Any

import pytest

from careforall_common.contracts.statuses import PaymentStatus
from payments.models import Payment
from payments.tests.factories import payment_before_a_crash
from payments.tests.test_metrics import scrape
from refunds.models import Refund, RefundSource, RefundStatus

pytestmark = pytest.mark.django_db


def test_refunds_are_counted_by_status_and_source(client: Any) -> None:
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
