"""INSTALLMENT_DUE: the installment's payment inserted once, in the inbox's transaction."""

from __future__ import annotations

from typing import Any

import pytest

from careforall_common.contracts.statuses import PaymentStatus
from careforall_common.inbox.models import ProcessedEvent
from payments.models import Payment, PlanCharge
from saved_cards.models import PlanCard
from saved_cards.tests.factories import PLAN, installment_due, post_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan_card() -> PlanCard:
    return PlanCard.objects.create(
        plan_id=PLAN, customer="cus_test", payment_method="pm_saved", card_last4="4242"
    )


def test_an_installment_due_inserts_its_off_session_payment(
    client: Any, plan_card: PlanCard
) -> None:
    event = installment_due(pledge_id=42, period=3)

    results = post_events(client, [event])

    assert results == {event["event_id"]: "processed"}
    payment = Payment.objects.get()
    assert (payment.pledge_id, payment.campaign_id, payment.user_id) == (42, 7, 2)
    assert (payment.amount, payment.currency, payment.status) == (2_500, "usd", "PROCESSING")
    assert (payment.plan_id, payment.plan_period, payment.plan_charge) == (
        PLAN,
        3,
        PlanCharge.OFF_SESSION,
    )
    assert (payment.provider_customer, payment.payment_method) == ("cus_test", "pm_saved")
    assert payment.provider_payment_id is None


def test_the_same_installment_twice_is_one_payment(client: Any, plan_card: PlanCard) -> None:
    first, again = installment_due(pledge_id=42), installment_due(pledge_id=42)

    results = post_events(client, [first])
    results |= post_events(client, [first, again])

    assert results == {first["event_id"]: "duplicate", again["event_id"]: "processed"}
    assert Payment.objects.filter(pledge_id=42).count() == 1
    assert ProcessedEvent.objects.count() == 2


def test_without_a_saved_card_the_event_fails_and_comes_again(client: Any) -> None:
    PlanCard.objects.create(plan_id=PLAN, customer="cus_test")
    event = installment_due(pledge_id=42)

    results = post_events(client, [event])

    assert results == {event["event_id"]: "failed"}
    assert not Payment.objects.exists()
    assert not ProcessedEvent.objects.exists()


def test_a_pledge_paid_already_adds_nothing(client: Any, plan_card: PlanCard) -> None:
    post_events(client, [installment_due(pledge_id=42)])
    Payment.objects.update(status=PaymentStatus.FAILED, failure_reason="card_declined")

    results = post_events(client, [installment_due(pledge_id=42, amount=999)])

    assert list(results.values()) == ["processed"]
    payment = Payment.objects.get()
    assert (payment.amount, payment.status) == (2_500, "FAILED")


def test_only_pledge_service_publishes_installments(client: Any, plan_card: PlanCard) -> None:
    event = installment_due(pledge_id=42)
    event["event_type"] = "PAYMENT_CAPTURED"

    results = post_events(client, [event])

    assert results == {event["event_id"]: "rejected"}
    assert not Payment.objects.exists()
