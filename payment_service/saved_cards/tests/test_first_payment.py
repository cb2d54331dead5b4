"""POST /internal/plans/first-payment: the plan's Customer, its first payment saving the card,
and the card recorded once the payment is captured (docs/recurring.md)."""

from __future__ import annotations

from typing import Any

import pytest

from careforall_common.outbox.models import OutboxEvent
from payments.capture import payment_capture
from payments.models import Payment, PlanCharge
from payments.tests.apis.test_payment_create_browser import browser_confirms
from payments.tests.factories import CLOSED_PORT_URL, Sandbox, webhook_post
from saved_cards.models import PlanCard
from saved_cards.services.cards import plan_card_record, plan_customer_get_or_make
from saved_cards.tests.factories import (
    PLAN,
    first_payment_body,
    first_payment_post,
    intents_of,
    internal_post,
)

pytestmark = pytest.mark.django_db

AUTHORIZED = "payment_intent.amount_capturable_updated"


def card_events() -> list[dict[str, Any]]:
    rows = OutboxEvent.objects.filter(event_type="PLAN_CARD_CHANGED").order_by("id")
    return [{"destination": row.destination, **row.payload} for row in rows]


def test_browser_confirmed_the_card_is_saved_once_captured(
    client: Any, sandbox: Sandbox, settings: Any
) -> None:
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_careforall"

    response = first_payment_post(client)
    body = response.json()
    confirmed = browser_confirms(sandbox, body, "4242424242424242")
    webhook_post(client, sandbox.event(body["provider_payment_id"], AUTHORIZED))
    payment = Payment.objects.get()
    captured = payment_capture(payment_id=payment.pk)
    recorded = plan_card_record(payment_id=payment.pk)

    assert response.status_code == 201
    assert body["status"] == "PROCESSING"
    assert body["publishable_key"] == "pk_test_careforall"
    assert body["client_secret"].startswith(body["provider_payment_id"])
    assert confirmed["status"] == "requires_capture"
    assert captured
    assert recorded
    card = PlanCard.objects.get(plan_id=PLAN)
    intent = sandbox.client().v1.payment_intents.retrieve(body["provider_payment_id"])
    assert intent.customer == card.customer
    assert intent.setup_future_usage == "off_session"
    assert intent.metadata["plan_id"] == str(PLAN)
    assert (payment.plan_charge, payment.provider_customer) == (PlanCharge.FIRST, card.customer)
    assert card.payment_method == intent.payment_method
    assert (card.card_brand, card.card_last4, len(card.card_fingerprint)) == ("visa", "4242", 16)
    customer = sandbox.client().v1.customers.retrieve(card.customer).to_dict()
    assert (customer["email"], customer["name"], customer["metadata"]["plan_id"]) == (
        "ada@example.org",
        "Ada",
        str(PLAN),
    )
    method = sandbox.client().v1.payment_methods.retrieve(card.payment_method)
    assert method.customer == card.customer  # attached: chargeable off-session
    assert card_events() == [
        {"destination": "pledge", "plan_id": PLAN, "card_brand": "visa", "card_last4": "4242"}
    ]
    # Recorded again (a repeated task): nothing changes, nothing is published.
    assert plan_card_record(payment_id=payment.pk) is False
    assert len(card_events()) == 1


def test_server_confirmed_the_card_is_saved_once_captured(client: Any, sandbox: Sandbox) -> None:
    response = first_payment_post(client, payment_method="pm_card_mastercard")
    payment = Payment.objects.get()
    before = plan_card_record(payment_id=payment.pk)  # authorized only: not yet
    payment_capture(payment_id=payment.pk)
    recorded = plan_card_record(payment_id=payment.pk)

    assert response.status_code == 201
    assert response.json()["status"] == "AUTHORIZED"
    assert "client_secret" not in response.json()
    assert before is False
    assert recorded is True
    card = PlanCard.objects.get()
    assert (card.card_brand, card.card_last4) == ("mastercard", "4444")
    assert card.payment_method.startswith("pm_")
    assert card.payment_method != "pm_card_mastercard"
    assert len(intents_of(sandbox, card.customer)) == 1


def test_a_repeat_answers_409_with_the_payment_and_makes_nothing(
    client: Any, sandbox: Sandbox
) -> None:
    first = first_payment_post(client, payment_method="pm_card_visa")
    again = first_payment_post(client, payment_method="pm_card_visa", challenge_token="t")

    assert (first.status_code, again.status_code) == (201, 409)
    assert again.json() == first.json()
    assert Payment.objects.count() == 1
    assert sandbox.calls("POST /v1/payment_intents") == 1
    assert sandbox.calls("POST /v1/customers") == 1


def test_while_the_provider_is_down_503_and_the_repeat_pays(
    client: Any, sandbox: Sandbox, settings: Any
) -> None:
    base = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = CLOSED_PORT_URL
    down = first_payment_post(client)  # no Customer can be made
    made = Payment.objects.count()
    settings.STRIPE_API_BASE = base
    again = first_payment_post(client)

    assert (down.status_code, made) == (503, 0)
    assert again.status_code == 201
    assert "client_secret" in again.json()


def test_a_payment_left_without_its_intent_is_resumed_by_the_repeat(
    client: Any, sandbox: Sandbox, settings: Any
) -> None:
    plan_customer_get_or_make(plan_id=PLAN, email="ada@example.org", name="Ada")
    base = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = CLOSED_PORT_URL
    down = first_payment_post(client)  # the payment is made, its intent is not
    settings.STRIPE_API_BASE = base
    again = first_payment_post(client)

    assert down.status_code == 503
    assert again.status_code == 409  # the pledge's payment, its intent made now
    payment = Payment.objects.get()
    assert again.json()["id"] == payment.pk
    assert again.json()["provider_payment_id"] == payment.provider_payment_id is not None
    assert "client_secret" in again.json()
    assert sandbox.calls("POST /v1/customers") == 1


def test_a_pledge_paid_otherwise_is_409_with_its_payment(client: Any, sandbox: Sandbox) -> None:
    first_payment_post(client, payment_method="pm_card_visa")

    other_call = internal_post(
        client, "/internal/plans/first-payment", first_payment_body(amount=9)
    )

    assert other_call.status_code == 409
    assert other_call.json()["id"] == Payment.objects.get().pk
    assert other_call.json()["amount"] == 2_500


def test_unsigned_or_bad_calls_are_refused(client: Any) -> None:
    unsigned = client.post(
        "/internal/plans/first-payment", first_payment_body(), content_type="application/json"
    )
    unknown = internal_post(
        client, "/internal/plans/first-payment", first_payment_body(card_number="4242")
    )

    assert unsigned.status_code == 403
    assert unknown.status_code == 400
    assert not Payment.objects.exists()
