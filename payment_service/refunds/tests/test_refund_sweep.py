"""The refund sweep (SPEC §3, guarantees 3 and 10): a refund that stays pending at the provider
for weeks is read there, never created again once the provider may have forgotten its key, and
counts once whatever the sweep, the webhooks and our own gave-up rows did meanwhile."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import F
from rest_framework.test import APIClient

from careforall_common.contracts.statuses import PaymentStatus
from careforall_common.idempotency import idempotency_request
from payments.models import Payment
from payments.tests.factories import Sandbox, payment, webhook_post
from provider_events.sweeps import refunds_reconcile
from refunds.models import Refund, RefundSource, RefundStatus
from refunds.services import refund_reserve
from refunds.tests.helpers import (
    DAY,
    captured,
    clock_advance,
    outbox_payloads,
    refund_post,
    refund_settle,
)

pytestmark = pytest.mark.django_db

REFUNDS = "POST /v1/refunds"


@pytest.fixture
def paid(donor_client: Any, donor_pledge: int) -> Payment:
    return captured(donor_client)


def days_pass(sandbox: Sandbox, days: int) -> None:
    """``days`` go by at the provider and here, the sweep running once a day."""
    for _ in range(days):
        clock_advance(sandbox, DAY)
        Refund.objects.update(
            created_at=F("created_at") - timedelta(days=1),
            updated_at=F("updated_at") - timedelta(days=1),
        )
        refunds_reconcile()


@pytest.mark.parametrize(("amount", "status"), [(1_000, "CAPTURED"), (2_500, "REFUNDED")])
def test_a_refund_pending_at_the_provider_for_30_days_counts_once(
    staff_client: Any,
    client: Any,
    paid: Payment,
    sandbox: Sandbox,
    settings: Any,
    amount: int,
    status: str,
) -> None:
    settings.REFUND_RETRY_AFTER_SECONDS = 0
    sandbox.configure(refunds_pending=True)
    response = refund_post(staff_client, paid.pk, {"amount": amount})
    assert (response.status_code, response.json()["status"]) == (201, "pending")
    ours = Refund.objects.get()

    days_pass(sandbox, 30)  # the provider forgot the create's key on the first day
    refund_settle(sandbox, ours.provider_refund_id or "", "succeeded")
    webhook_post(client, sandbox.event(ours.provider_refund_id or "", "refund.updated"))
    refunds_reconcile()

    (refund,) = Refund.objects.all()
    assert (refund.pk, refund.status, refund.source) == (ours.pk, "succeeded", "staff")
    made = payment(paid.pk)
    assert (made.status, made.refunded_amount) == (status, amount)
    assert [event["refund_id"] for event in outbox_payloads("PAYMENT_REFUNDED")] == [ours.pk]
    assert sandbox.stats()["objects"]["refunds"] == 1
    assert sandbox.calls(REFUNDS) == 1  # never created again


def test_the_sweep_reads_a_known_refund_instead_of_creating_it_again(
    staff_client: Any, paid: Payment, sandbox: Sandbox, settings: Any
) -> None:
    settings.REFUND_RETRY_AFTER_SECONDS = 0
    sandbox.configure(refunds_pending=True)
    refund_post(staff_client, paid.pk, {"amount": 700})
    ours = Refund.objects.get()
    refund_settle(sandbox, ours.provider_refund_id or "", "succeeded")  # its webhook is lost

    assert refunds_reconcile() == 1
    assert refunds_reconcile() == 0

    assert sandbox.calls(REFUNDS) == 1
    assert sandbox.calls("GET /v1/refunds/{id}") >= 1
    assert payment(paid.pk).refunded_amount == 700


def test_a_refund_the_provider_never_got_is_not_created_after_23_hours(
    paid: Payment, sandbox: Sandbox, settings: Any
) -> None:
    """The request died before the provider call; a day later the key may be forgotten."""
    settings.REFUND_RETRY_AFTER_SECONDS = 0
    idempotency = idempotency_request(key="died", scope="staff-refund:1", body={})
    refund_reserve(
        payment_id=paid.pk, idempotency=idempotency, amount=600, reason="", staff_user_id=1
    )
    Refund.objects.update(created_at=F("created_at") - timedelta(hours=23, minutes=1))

    assert refunds_reconcile() == 0

    assert sandbox.calls(REFUNDS) == 0
    refund = Refund.objects.get()
    assert (refund.status, refund.failure_reason) == ("failed", "provider_unconfirmed")
    assert payment(paid.pk).refunded_amount == 0


def test_a_refund_we_gave_up_on_counts_when_the_provider_says_it_succeeded(
    staff_client: Any, client: Any, paid: Payment, sandbox: Sandbox
) -> None:
    """A row failed by an earlier sweep (a refused create of a refund the provider had) is
    counted once the provider reports the refund succeeded; once."""
    sandbox.configure(refunds_pending=True)
    refund_post(staff_client, paid.pk, {})
    Refund.objects.update(status=RefundStatus.FAILED, failure_reason="refused by the provider")
    ours = Refund.objects.get()

    refund_settle(sandbox, ours.provider_refund_id or "", "succeeded")
    updated = sandbox.event(ours.provider_refund_id or "", "refund.updated")
    answers = [webhook_post(client, updated).json()["result"] for _ in range(2)]
    refunds_reconcile()

    assert answers == ["processed", "duplicate"]
    assert Refund.objects.get().status == RefundStatus.SUCCEEDED
    made = payment(paid.pk)
    assert (made.status, made.refunded_amount) == (PaymentStatus.REFUNDED, 2_500)
    assert len(outbox_payloads("PAYMENT_REFUNDED")) == 1


def test_a_provider_refund_naming_our_refund_is_never_a_second_row(
    staff_client: Any, client: Any, paid: Payment, sandbox: Sandbox
) -> None:
    """A second refund at the provider carrying our ``metadata[refund_id]`` (a create sent again
    after the provider forgot the key) is matched to our row, not inserted as a new one."""
    sandbox.configure(refunds_pending=True)
    refund_post(staff_client, paid.pk, {"amount": 500})
    ours = Refund.objects.get()
    sandbox.configure(refunds_pending=False)
    sandbox.client().v1.refunds.create(
        {
            "payment_intent": paid.provider_payment_id or "",
            "amount": 500,
            "metadata": {"refund_id": str(ours.pk)},
        }
    )
    (second, _) = sandbox.client().v1.refunds.list(
        {"payment_intent": paid.provider_payment_id or ""}
    )

    webhook_post(client, sandbox.event(second.id, "refund.created"))
    refunds_reconcile()

    assert not Refund.objects.filter(source=RefundSource.PROVIDER).exists()
    assert Refund.objects.count() == 1
    assert len(outbox_payloads("PAYMENT_REFUNDED")) <= 1


@pytest.mark.django_db(transaction=True)
def test_a_create_still_running_at_the_provider_is_in_progress_not_a_failure(
    make_token: Any,
    donor_client: Any,
    pledge_service: Any,
    user_service: Any,
    sandbox: Sandbox,
    settings: Any,
) -> None:
    pledge_service.add(41)
    made = captured(donor_client)
    settings.REFUND_RETRY_AFTER_SECONDS = 0
    sandbox.configure(processing_delay_ms=1_500)
    staff = APIClient()
    staff.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(user_id=1, role='staff')}")
    answers: list[int] = []

    def request() -> None:
        try:
            answers.append(refund_post(staff, made.pk, {"amount": 400}).status_code)
        finally:
            connection.close()

    thread = threading.Thread(target=request)
    thread.start()
    while not Refund.objects.exists():
        time.sleep(0.01)
    time.sleep(0.5)  # the request is at the provider now, its key in use
    refunds_reconcile()  # the same create, with the same key, while the first one runs
    swept = Refund.objects.get()
    thread.join()

    assert swept.status == RefundStatus.PENDING
    assert sandbox.calls(REFUNDS, 409) == 1
    assert answers == [201]
    assert (Refund.objects.get().status, payment(made.pk).refunded_amount) == ("succeeded", 400)
