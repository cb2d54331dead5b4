"""POST /internal/plans/{id}/card: a new card by SetupIntent, in the donor's browser (recorded
from the provider's webhook) or confirmed server-side."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from django.db import transaction

from careforall_common.outbox.models import OutboxEvent
from payments.capture import payment_capture
from payments.models import Payment
from payments.tests.factories import Sandbox, webhook_post
from saved_cards.models import PlanCard
from saved_cards.provider import SavedCard
from saved_cards.services.cards import plan_card_record, plan_card_save
from saved_cards.tests.factories import PLAN, first_payment_post, internal_post, plan_with_card

pytestmark = pytest.mark.django_db

SUCCEEDED = "setup_intent.succeeded"


def card_post(client: Any, plan_id: int = PLAN, **body: Any) -> Any:
    return internal_post(client, f"/internal/plans/{plan_id}/card", {"plan_id": plan_id, **body})


def card_events() -> list[tuple[str, str]]:
    rows = OutboxEvent.objects.filter(event_type="PLAN_CARD_CHANGED").order_by("id")
    return [(row.payload["card_brand"], row.payload["card_last4"]) for row in rows]


def test_the_browser_confirms_a_setup_intent_and_the_webhook_saves_the_card(
    client: Any, sandbox: Sandbox, settings: Any
) -> None:
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_careforall"
    old = plan_with_card(client)

    response = card_post(client)
    body = response.json()
    setup_id = body["client_secret"].split("_secret_")[0]
    confirmed = requests.post(  # what Stripe.js sends (confirmSetup)
        f"{sandbox.url}/v1/setup_intents/{setup_id}/confirm",
        headers={"Authorization": f"Bearer {body['publishable_key']}"},
        data={
            "client_secret": body["client_secret"],
            "payment_method_data[type]": "card",
            "payment_method_data[card][number]": "5555555555554444",
            "payment_method_data[card][exp_month]": "12",
            "payment_method_data[card][exp_year]": "34",
            "payment_method_data[card][cvc]": "123",
        },
        timeout=5,
    ).json()
    event = sandbox.event(setup_id, SUCCEEDED)
    delivered = webhook_post(client, event)
    again = webhook_post(client, event)

    assert response.status_code == 200
    assert set(body) == {"client_secret", "publishable_key"}
    assert confirmed["status"] == "succeeded"
    assert delivered.json()["result"] == "processed"
    assert again.json()["result"] == "duplicate"
    card = PlanCard.objects.get()
    assert card.customer == old.customer
    assert card.payment_method == confirmed["payment_method"] != old.payment_method
    assert (card.card_brand, card.card_last4) == ("mastercard", "4444")
    assert card_events() == [("visa", "4242"), ("mastercard", "4444")]


def test_a_card_confirmed_server_side_is_saved_at_once(client: Any, sandbox: Sandbox) -> None:
    old = plan_with_card(client)

    response = card_post(client, payment_method="pm_card_mastercard")
    card = PlanCard.objects.get()
    setups = list(sandbox.client().v1.setup_intents.list({"customer": card.customer}))
    late = webhook_post(client, sandbox.event(setups[0].id, SUCCEEDED))

    assert (response.status_code, response.json()) == (
        200,
        {"card_brand": "mastercard", "card_last4": "4444"},
    )
    assert card.payment_method != old.payment_method
    assert (card.card_brand, card.card_last4) == ("mastercard", "4444")
    method = sandbox.client().v1.payment_methods.retrieve(card.payment_method)
    assert method.customer == card.customer
    assert late.json()["result"] == "no_change"  # the webhook of the same card: nothing more
    assert card_events() == [("visa", "4242"), ("mastercard", "4444")]


def test_a_card_the_bank_wants_authenticated_is_refused_server_side(
    client: Any, sandbox: Sandbox
) -> None:
    old = plan_with_card(client)

    response = card_post(client, payment_method="pm_card_authenticationRequired")

    assert response.status_code == 402
    assert "authentication_required" in response.json()["detail"]
    assert PlanCard.objects.get().payment_method == old.payment_method
    assert card_events() == [("visa", "4242")]


def test_a_declining_card_is_refused(client: Any, sandbox: Sandbox) -> None:
    plan_with_card(client)

    response = card_post(client, payment_method="pm_card_chargeDeclined")

    assert response.status_code == 402
    assert "card_declined" in response.json()["detail"]


def test_a_card_changed_before_the_first_payments_card_is_recorded_stays(
    client: Any, sandbox: Sandbox
) -> None:
    first = first_payment_post(client, payment_method="pm_card_visa")
    payment_capture(payment_id=first.json()["id"])

    changed = card_post(client, payment_method="pm_card_mastercard")
    late = plan_card_record(payment_id=first.json()["id"])  # the capture's task runs only now

    assert changed.json() == {"card_brand": "mastercard", "card_last4": "4444"}
    assert late is False
    card = PlanCard.objects.get()
    assert (card.card_brand, card.card_last4) == ("mastercard", "4444")
    first_intent = sandbox.client().v1.payment_intents.retrieve(
        str(Payment.objects.get().provider_payment_id)
    )
    assert card.payment_method != first_intent.payment_method
    assert card_events() == [("mastercard", "4444")]


def test_in_the_same_second_the_first_payments_card_does_not_replace_a_changed_one(
    client: Any, sandbox: Sandbox
) -> None:
    row = plan_with_card(client)
    second = row.saved_at or 0
    changed = SavedCard(row.customer, "pm_changed", "mastercard", "4444", "f" * 16, second)
    first = SavedCard(row.customer, "pm_first", "visa", "1881", "e" * 16, second)

    with transaction.atomic():
        saved = plan_card_save(changed)
        late = plan_card_save(first, first=True)

    assert saved is not None
    assert late is None
    assert PlanCard.objects.get().payment_method == "pm_changed"
    assert card_events() == [("visa", "4242"), ("mastercard", "4444")]


def test_an_unknown_plan_is_404_and_a_path_other_than_the_body_400(client: Any) -> None:
    unknown = card_post(client, plan_id=99)
    mismatch = internal_post(client, f"/internal/plans/{PLAN}/card", {"plan_id": 5})

    assert unknown.status_code == 404
    assert mismatch.status_code == 400
