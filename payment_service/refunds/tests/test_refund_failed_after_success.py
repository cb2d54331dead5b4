"""A refund the provider fails after it succeeded (the card was closed meanwhile): the money
stayed with the charity. A partial refund is un-counted once (``PAYMENT_REFUND_FAILED``); a
payment refunded in full stays REFUNDED (SPEC §5.3) and the failure is recorded for staff."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from careforall_common.contracts.statuses import PaymentStatus
from careforall_common.outbox.models import OutboxEvent
from payments.models import Payment
from payments.tests.factories import Sandbox, payment, webhook_post
from provider_events.sweeps import refunds_reconcile
from refunds.metrics import RefundsCollector
from refunds.models import Refund, RefundStatus
from refunds.tests.helpers import captured, outbox_payloads, refund_post, refund_settle

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(donor_client: Any, donor_pledge: int, sandbox: Sandbox) -> Payment:
    sandbox.configure(refund_settle_ms=0)  # the test says when the refund fails
    return captured(donor_client, method="pm_card_refundFail")


def fails_at_the_provider(client: Any, sandbox: Sandbox, refund: Refund) -> list[str]:
    """The bank fails the refund; its two events are delivered, one of them twice."""
    refund_settle(sandbox, refund.provider_refund_id or "", "failed", failure_reason="declined")
    updated = sandbox.event(refund.provider_refund_id or "", "refund.updated")
    failed = sandbox.event(refund.provider_refund_id or "", "refund.failed")
    return [webhook_post(client, e).json()["result"] for e in (updated, failed, updated)]


def test_a_partial_refund_that_fails_later_is_uncounted_once(
    staff_client: Any, client: Any, paid: Payment, sandbox: Sandbox
) -> None:
    response = refund_post(staff_client, paid.pk, {"amount": 1_000})
    assert response.json()["status"] == "succeeded"
    refund = Refund.objects.get()

    answers = fails_at_the_provider(client, sandbox, refund)
    refunds_reconcile()

    assert answers == ["processed", "no_change", "duplicate"]
    refund.refresh_from_db()
    assert (refund.status, refund.failure_reason) == (RefundStatus.FAILED, "declined")
    made = payment(paid.pk)
    assert (made.status, made.refunded_amount) == (PaymentStatus.CAPTURED, 0)
    assert outbox_payloads("PAYMENT_REFUND_FAILED") == [
        {
            "payment_id": paid.pk,
            "pledge_id": 41,
            "campaign_id": 7,
            "refund_id": refund.pk,
            "amount": 1_000,
            "refunded_total": 0,
            "currency": "usd",
        }
    ]
    routed = OutboxEvent.objects.filter(event_type="PAYMENT_REFUND_FAILED")
    assert sorted(routed.values_list("destination", flat=True)) == ["campaign", "pledge"]
    # What was given back to the charity can be refunded again.
    again = refund_post(staff_client, paid.pk, {"amount": 2_500}, key="again")
    assert again.status_code == 201


def test_a_full_refund_that_fails_later_stays_refunded_and_is_shown_to_staff(
    staff_client: Any, client: Any, paid: Payment, sandbox: Sandbox, caplog: Any
) -> None:
    refund_post(staff_client, paid.pk, {})
    refund = Refund.objects.get()
    assert payment(paid.pk).status == PaymentStatus.REFUNDED

    with caplog.at_level(logging.ERROR):
        fails_at_the_provider(client, sandbox, refund)
    refunds_reconcile()

    made = payment(paid.pk)
    assert (made.status, made.refunded_amount) == (PaymentStatus.REFUNDED, 2_500)
    refund.refresh_from_db()
    assert refund.failure_reason == "declined"
    assert refund.failed_after_success_at is not None
    assert outbox_payloads("PAYMENT_REFUND_FAILED") == []
    assert len(outbox_payloads("PAYMENT_REFUNDED")) == 1
    assert [r for r in caplog.records if r.levelno == logging.ERROR and "failed" in r.message]
    (family,) = [
        f
        for f in RefundsCollector().collect()
        if f.name == "careforall_refunds_failed_after_success"
    ]
    assert [(s.labels, s.value) for s in family.samples] == [({"counted": "kept"}, 1.0)]
    staff = get_user_model().objects.create_superuser("staff@example.org", "staff@example.org")
    client.force_login(staff)
    page = client.get(f"/admin/payments/refunds/refund/{refund.pk}/change/").content.decode()
    assert "still counted, the payment stays REFUNDED" in page
