"""Off-session installments (guarantee 11): one payment and one intent per installment, moved
like any payment; declines and authentication_required FAILED; a worker killed mid-charge
finished by reconciliation; the donor's authenticated retry (3-D Secure)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from careforall_common.contracts.statuses import PaymentStatus
from payments.capture import payment_capture
from payments.models import Payment, PlanCharge
from payments.provider import intent_create
from payments.tests.factories import CAPTURED_EVENTS, Sandbox, events
from provider_events.reconciliation import payments_reconcile
from saved_cards.services.cards import plan_card_change
from saved_cards.services.installments import installment_charge
from saved_cards.tests.factories import (
    PLAN,
    card_set_up_with_3ds,
    complete_3ds,
    installment_due,
    intents_of,
    internal_post,
    plan_with_card,
    post_events,
)

pytestmark = pytest.mark.django_db


def due(client: Any, pledge_id: int = 42, period: int = 1) -> Payment:
    post_events(client, [installment_due(pledge_id=pledge_id, period=period)])
    return Payment.objects.get(pledge_id=pledge_id)


def test_an_installment_is_charged_off_session_and_captured(client: Any, sandbox: Sandbox) -> None:
    card = plan_with_card(client)
    payment = due(client, period=2)

    charged = installment_charge(payment_id=payment.pk)
    captured = payment_capture(payment_id=payment.pk)

    assert charged
    assert captured
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert (payment.card_brand, payment.card_last4) == ("visa", "4242")
    intent = sandbox.client().v1.payment_intents.retrieve(payment.provider_payment_id or "")
    assert (intent.customer, intent.payment_method) == (card.customer, card.payment_method)
    assert (intent.capture_method, intent.status) == ("manual", "succeeded")
    assert intent.metadata.to_dict() == {
        "payment_id": str(payment.pk),
        "pledge_id": "42",
        "campaign_id": "7",
        "plan_id": str(PLAN),
        "period": "2",
    }
    assert events("PAYMENT_CAPTURED")[-2:] == CAPTURED_EVENTS


def test_the_same_installment_twice_is_one_payment_and_one_intent(
    client: Any, sandbox: Sandbox
) -> None:
    card = plan_with_card(client)
    event = installment_due(pledge_id=42)

    post_events(client, [event])
    post_events(client, [event, installment_due(pledge_id=42)])
    payment = Payment.objects.get(pledge_id=42)
    installment_charge(payment_id=payment.pk)
    again = installment_charge(payment_id=payment.pk)

    assert again is False
    assert Payment.objects.filter(plan_charge=PlanCharge.OFF_SESSION).count() == 1
    assert len(intents_of(sandbox, card.customer)) == 2  # the first payment's and this one


def test_a_declined_installment_fails_card_declined(client: Any, sandbox: Sandbox) -> None:
    plan_card_change(
        plan_id=plan_with_card(client).plan_id, payment_method="pm_card_chargeCustomerFail"
    )
    payment = due(client)

    installment_charge(payment_id=payment.pk)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_reason == "card_declined: generic_decline"
    assert events("PAYMENT_FAILED") == [
        ("PAYMENT_FAILED", "pledge"),
        ("PAYMENT_FAILED", "campaign"),
    ]


def test_a_card_that_asks_for_authentication_fails_authentication_required(
    client: Any, sandbox: Sandbox
) -> None:
    card_set_up_with_3ds(sandbox, plan_with_card(client), "pm_card_authenticationRequired")
    payment = due(client)

    installment_charge(payment_id=payment.pk)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_reason == "authentication_required"


def test_a_card_set_up_with_3ds_once_is_charged_off_session(client: Any, sandbox: Sandbox) -> None:
    card_set_up_with_3ds(sandbox, plan_with_card(client), "pm_card_authenticationRequiredOnSetup")
    payment = due(client)

    installment_charge(payment_id=payment.pk)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORIZED
    assert payment.card_last4 == "3155"


def test_a_worker_killed_after_the_provider_call_is_finished_by_reconciliation(
    client: Any, sandbox: Sandbox
) -> None:
    card = plan_with_card(client)
    payment = due(client)
    made = intent_create(payment)  # the worker called the provider, then died: nothing recorded

    Payment.objects.filter(pk=payment.pk).update(reconcile_after=timezone.now())
    payments_reconcile()  # the same request, the same key: the provider's first answer
    authorized = Payment.objects.get(pk=payment.pk)
    Payment.objects.filter(pk=payment.pk).update(reconcile_after=timezone.now())
    payments_reconcile()  # the capture whose task is lost
    payments_reconcile()
    payment_capture(payment_id=payment.pk)

    payment.refresh_from_db()
    assert authorized.status == PaymentStatus.AUTHORIZED
    assert authorized.provider_payment_id == made.intent_id
    assert payment.status == PaymentStatus.CAPTURED
    assert len(intents_of(sandbox, card.customer)) == 2  # the first payment's and this one
    assert sandbox.calls("POST /v1/payment_intents/{id}/capture") == 2  # each payment once
    assert events("PAYMENT_CAPTURED").count(("PAYMENT_CAPTURED", "pledge")) == 2


def test_the_donor_authenticates_the_retry_in_the_browser(
    client: Any, sandbox: Sandbox, settings: Any
) -> None:
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_careforall"
    card = card_set_up_with_3ds(sandbox, plan_with_card(client), "pm_card_authenticationRequired")
    body = {
        "plan_id": PLAN,
        "pledge_id": 43,
        "campaign_id": 7,
        "user_id": 2,
        "amount": 2_500,
        "currency": "usd",
        "receipt_token_hash": None,
    }

    response = internal_post(client, f"/internal/plans/{PLAN}/authenticated-payment", body)
    again = internal_post(client, f"/internal/plans/{PLAN}/authenticated-payment", body)
    answer = response.json()
    intent = sandbox.client().v1.payment_intents.retrieve(answer["provider_payment_id"])
    assert intent.status == "requires_action"  # the bank asks the donor (3-D Secure)
    complete_3ds(sandbox, intent.to_dict())
    Payment.objects.update(reconcile_after=timezone.now())
    payments_reconcile()
    payment = Payment.objects.get(pledge_id=43)
    payment_capture(payment_id=payment.pk)

    assert (response.status_code, again.status_code) == (201, 409)
    assert answer["status"] == "PROCESSING"
    assert answer["client_secret"] == intent.client_secret
    assert answer["publishable_key"] == "pk_test_careforall"
    assert (intent.customer, intent.payment_method) == (card.customer, card.payment_method)
    payment.refresh_from_db()
    assert payment.plan_charge == PlanCharge.AUTHENTICATED
    assert payment.status == PaymentStatus.CAPTURED
