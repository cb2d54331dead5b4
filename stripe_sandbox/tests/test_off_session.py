"""Recurring gifts: the first payment saves the card (`setup_future_usage`), later ones are
charged off-session; the authentication test cards; listing PaymentIntents."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import stripe

from stripe_sandbox import Sandbox

from .conftest import Admin, Receiver, authorize


def _customer_with(client: stripe.StripeClient, card: str) -> tuple[str, str]:
    customer = client.v1.customers.create({"email": "donor@example.org"})
    method = client.v1.payment_methods.attach(card, {"customer": customer.id})
    return customer.id, method.id


def _off_session(
    client: stripe.StripeClient, customer: str, method: str, **changes: Any
) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        authorize(customer=customer, payment_method=method, off_session=True, **changes)
    )


def test_a_saved_card_is_charged_off_session_again_and_again(client: stripe.StripeClient) -> None:
    customer, method = _customer_with(client, "pm_card_visa")

    first = _off_session(client, customer, method, metadata={"pledge_id": "1"})
    second = _off_session(client, customer, method, metadata={"pledge_id": "2"})
    captured = client.v1.payment_intents.capture(first.id)

    assert (first.status, second.status) == ("requires_capture", "requires_capture")
    assert first.customer == second.customer == customer
    assert first.payment_method == second.payment_method == method
    assert captured.status == "succeeded"
    charge = client.v1.charges.retrieve(str(first.latest_charge))
    assert charge.customer == customer


def test_the_first_payment_saves_the_card_to_the_customer(
    client: stripe.StripeClient, admin: Admin
) -> None:
    customer = client.v1.customers.create()

    first = client.v1.payment_intents.create(
        authorize(customer=customer.id, setup_future_usage="off_session")
    )
    later = _off_session(client, customer.id, str(first.payment_method))

    assert first.setup_future_usage == "off_session"
    saved = client.v1.payment_methods.retrieve(str(first.payment_method))
    assert saved.customer == customer.id
    assert later.status == "requires_capture"
    assert "payment_method.attached" in admin.event_types(saved.id)


def test_a_declined_first_payment_saves_nothing(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()

    with pytest.raises(stripe.CardError):
        client.v1.payment_intents.create(
            authorize(
                customer=customer.id,
                setup_future_usage="off_session",
                payment_method="pm_card_chargeDeclined",
            )
        )

    assert client.v1.customers.payment_methods.list(customer.id).data == []


def test_3155_authenticates_on_session_then_charges_off_session(
    client: stripe.StripeClient, sandbox: Sandbox
) -> None:
    customer = client.v1.customers.create()
    first = client.v1.payment_intents.create(
        authorize(
            customer=customer.id,
            setup_future_usage="off_session",
            payment_method="pm_card_authenticationRequiredOnSetup",
        )
    )
    assert first.status == "requires_action"
    assert first.next_action is not None
    challenge = first.next_action.to_dict()["use_stripe_sdk"]["stripe_js"]
    requests.post(f"{sandbox.url}{challenge}/complete", timeout=5).raise_for_status()

    authorized = client.v1.payment_intents.retrieve(first.id)
    later = _off_session(client, customer.id, str(authorized.payment_method))

    assert authorized.status == "requires_capture"
    assert later.status == "requires_capture"


def test_3155_not_set_up_fails_off_session_with_authentication_required(
    client: stripe.StripeClient,
) -> None:
    customer, method = _customer_with(client, "pm_card_authenticationRequiredOnSetup")

    with pytest.raises(stripe.CardError) as caught:
        _off_session(client, customer, method)

    assert caught.value.code == "authentication_required"


def test_3184_off_session_is_a_card_error_carrying_the_intent(
    client: stripe.StripeClient, admin: Admin, receiver: Receiver
) -> None:
    customer, method = _customer_with(client, "pm_card_authenticationRequired")

    with pytest.raises(stripe.CardError) as caught:
        _off_session(client, customer, method, metadata={"pledge_id": "9"})

    error = caught.value.error
    assert error is not None
    assert (caught.value.http_status, error.type, error.code, error.decline_code) == (
        402,
        "card_error",
        "authentication_required",
        "authentication_required",
    )
    assert error.payment_method is not None
    assert error.payment_method.id == method
    intent = error.payment_intent
    assert intent is not None
    assert (intent.status, intent.customer) == ("requires_payment_method", customer)
    assert intent.last_payment_error is not None
    assert intent.last_payment_error.code == "authentication_required"
    assert admin.event_types(intent.id) == [
        "payment_intent.created",
        "payment_intent.payment_failed",
    ]
    receiver.wait_delivered(intent.id, 2)
    # The donor completes 3-D Secure on-session with the same saved card.
    again = client.v1.payment_intents.confirm(intent.id, {"payment_method": method})
    assert again.status == "requires_action"


def test_0341_attaches_and_every_charge_declines(client: stripe.StripeClient) -> None:
    customer, method = _customer_with(client, "pm_card_chargeCustomerFail")

    with pytest.raises(stripe.CardError) as caught:
        _off_session(client, customer, method)

    error = caught.value.error
    assert error is not None
    assert (error.code, error.decline_code) == ("card_declined", "generic_decline")
    assert client.v1.payment_methods.retrieve(method).customer == customer


def test_off_session_needs_a_confirmation(client: stripe.StripeClient) -> None:
    customer, method = _customer_with(client, "pm_card_visa")

    with pytest.raises(stripe.InvalidRequestError) as caught:
        _off_session(client, customer, method, confirm=False)

    assert caught.value.param == "off_session"


def test_automatic_capture_off_session_succeeds_at_once(client: stripe.StripeClient) -> None:
    customer, method = _customer_with(client, "pm_card_visa")

    intent = _off_session(client, customer, method, capture_method="automatic")

    assert (intent.status, intent.amount_received) == ("succeeded", 1000)


def test_payment_intents_are_listed_by_customer_newest_first(
    client: stripe.StripeClient,
) -> None:
    customer, method = _customer_with(client, "pm_card_visa")
    first = _off_session(client, customer, method, metadata={"pledge_id": "1"})
    second = _off_session(client, customer, method, metadata={"pledge_id": "2"})
    client.v1.payment_intents.create(authorize(metadata={"pledge_id": "3"}))

    page = client.v1.payment_intents.list({"customer": customer, "limit": 1})
    walked = list(page.auto_paging_iter())

    assert (page.to_dict()["object"], page.url, page.has_more) == (
        "list",
        "/v1/payment_intents",
        True,
    )
    assert [i.id for i in walked] == [second.id, first.id]
    assert [i.metadata.to_dict() for i in walked] == [{"pledge_id": "2"}, {"pledge_id": "1"}]


def test_payment_intents_are_listed_by_created(client: stripe.StripeClient, admin: Admin) -> None:
    old = client.v1.payment_intents.create(authorize(metadata={"pledge_id": "1"}))
    admin.clock_advance(3600)
    new = client.v1.payment_intents.create(authorize(metadata={"pledge_id": "2"}))

    recent = client.v1.payment_intents.list({"created": {"gte": new.created}})
    early = client.v1.payment_intents.list({"created": {"lt": new.created}})
    exact = client.v1.payment_intents.list({"created": old.created})
    everything = client.v1.payment_intents.list({"expand": ["data.latest_charge"]})

    assert [i.id for i in recent.data] == [new.id]
    assert [i.id for i in early.data] == [old.id]
    assert [i.id for i in exact.data] == [old.id]
    assert [i.id for i in everything.data] == [new.id, old.id]
    assert isinstance(everything.data[0].latest_charge, stripe.Charge)


def test_stats_count_the_payment_intents_created(client: stripe.StripeClient, admin: Admin) -> None:
    for _ in range(3):
        client.v1.payment_intents.create(authorize())
    with pytest.raises(stripe.CardError):
        client.v1.payment_intents.create(authorize(payment_method="pm_card_chargeDeclined"))

    stats = admin.stats()

    assert stats["objects"]["payment_intents"] == 4
    assert stats["requests"]["by_route"]["POST /v1/payment_intents"] == {"200": 3, "402": 1}
