"""PaymentIntents through the official SDK: the state machine, errors and refunds."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from .conftest import Admin, authorize


def test_visa_authorizes_then_capture_succeeds(client: stripe.StripeClient, admin: Admin) -> None:
    intent = client.v1.payment_intents.create(
        authorize(metadata={"pledge_id": "7"}, description="Pledge 7")
    )

    assert intent.object == "payment_intent"
    assert intent.id.startswith("pi_")
    assert intent.status == "requires_capture"
    assert intent.amount == intent.amount_capturable == 1000
    assert intent.amount_received == 0
    assert intent.capture_method == "manual"
    assert intent.currency == "usd"
    assert intent.metadata.to_dict() == {"pledge_id": "7"}
    assert intent.description == "Pledge 7"
    assert intent.livemode is False
    assert intent.last_payment_error is None
    assert intent.client_secret is not None
    assert intent.client_secret.startswith(f"{intent.id}_secret_")
    assert isinstance(intent.payment_method, str)
    assert intent.payment_method.startswith("pm_")  # a new PaymentMethod, as Stripe makes
    assert isinstance(intent.latest_charge, str)
    assert intent.latest_charge.startswith("ch_")

    captured = client.v1.payment_intents.capture(intent.id)

    assert captured.status == "succeeded"
    assert captured.amount_received == 1000
    assert captured.amount_capturable == 0
    assert captured.latest_charge == intent.latest_charge
    assert client.v1.payment_intents.retrieve(intent.id).to_dict() == captured.to_dict()
    assert admin.event_types(intent.id) == [
        "payment_intent.created",
        "payment_intent.amount_capturable_updated",
        "payment_intent.succeeded",
    ]


def test_global_style_authorizes_and_captures(global_stripe: None) -> None:
    intent = stripe.PaymentIntent.create(**authorize(idempotency_key="global-1"))

    captured = stripe.PaymentIntent.capture(intent.id, amount_to_capture=400)

    assert intent.status == "requires_capture"
    assert captured.status == "succeeded"
    assert captured.amount_received == 400
    assert stripe.PaymentIntent.retrieve(intent.id).status == "succeeded"


def test_deprecated_client_attribute_works_too(client: stripe.StripeClient) -> None:
    with pytest.warns(DeprecationWarning, match="deprecated"):
        service = client.payment_intents

    assert service.create(authorize()).status == "requires_capture"


def test_mastercard_authorizes_like_visa(client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.create(authorize(payment_method="pm_card_mastercard"))

    charge = client.v1.charges.retrieve(str(intent.latest_charge))

    assert intent.status == "requires_capture"
    assert charge.payment_method_details is not None
    assert charge.payment_method_details.card is not None
    assert charge.payment_method_details.card.brand == "mastercard"
    assert charge.captured is False


def test_declined_card_raises_card_error_with_the_intent(
    client: stripe.StripeClient, admin: Admin
) -> None:
    with pytest.raises(stripe.CardError) as caught:
        client.v1.payment_intents.create(authorize(payment_method="pm_card_chargeDeclined"))

    error = caught.value
    assert error.http_status == 402
    assert error.code == "card_declined"
    assert error.user_message == "Your card was declined."
    assert error.error is not None
    assert error.error.type == "card_error"
    assert error.error.decline_code == "generic_decline"
    assert error.error.payment_intent is not None
    intent_id = error.error.payment_intent.id
    assert error.error.payment_intent.status == "requires_payment_method"
    intent = client.v1.payment_intents.retrieve(intent_id)
    assert intent.status == "requires_payment_method"
    assert intent.payment_method is None
    assert intent.last_payment_error is not None
    assert intent.last_payment_error.code == "card_declined"
    assert intent.last_payment_error.decline_code == "generic_decline"
    assert admin.event_types(intent_id) == [
        "payment_intent.created",
        "payment_intent.payment_failed",
    ]


def test_insufficient_funds_has_its_decline_code(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.CardError) as caught:
        client.v1.payment_intents.create(
            authorize(payment_method="pm_card_chargeDeclinedInsufficientFunds")
        )

    assert caught.value.error is not None
    assert caught.value.error.decline_code == "insufficient_funds"


def test_automatic_capture_succeeds_directly(client: stripe.StripeClient, admin: Admin) -> None:
    intent = client.v1.payment_intents.create(authorize(capture_method="automatic"))

    assert intent.status == "succeeded"
    assert intent.amount_received == 1000
    assert intent.amount_capturable == 0
    assert admin.event_types(intent.id) == ["payment_intent.created", "payment_intent.succeeded"]


def test_default_capture_method_is_automatic_async(client: stripe.StripeClient) -> None:
    params = authorize(capture_method=None)

    intent = client.v1.payment_intents.create(params)

    assert intent.capture_method == "automatic_async"
    assert intent.status == "succeeded"


def test_cancel_then_capture_is_refused(client: stripe.StripeClient, admin: Admin) -> None:
    intent = client.v1.payment_intents.create(authorize())

    canceled = client.v1.payment_intents.cancel(
        intent.id, {"cancellation_reason": "requested_by_customer"}
    )
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.capture(intent.id)

    assert canceled.status == "canceled"
    assert canceled.cancellation_reason == "requested_by_customer"
    assert canceled.amount_capturable == 0
    assert canceled.canceled_at is not None
    assert caught.value.http_status == 400
    assert caught.value.code == "payment_intent_unexpected_state"
    assert "status of canceled" in str(caught.value.user_message)
    assert caught.value.error is not None
    assert caught.value.error.payment_intent is not None
    assert caught.value.error.payment_intent.status == "canceled"
    assert admin.event_types(intent.id)[-1] == "payment_intent.canceled"


def test_capture_twice_is_refused(client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.create(authorize())
    client.v1.payment_intents.capture(intent.id)

    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.capture(intent.id)

    assert caught.value.code == "payment_intent_unexpected_state"
    assert client.v1.payment_intents.retrieve(intent.id).amount_received == 1000


def test_capture_more_than_authorized_is_refused(client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.create(authorize())

    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.capture(intent.id, {"amount_to_capture": 1001})

    assert caught.value.param == "amount_to_capture"
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_capture"


def test_cancel_of_a_succeeded_intent_is_refused(client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.create(authorize(capture_method="automatic"))

    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.cancel(intent.id)

    assert caught.value.code == "payment_intent_unexpected_state"


def test_unknown_intent_is_404_resource_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.retrieve("pi_missing")

    assert caught.value.http_status == 404
    assert caught.value.code == "resource_missing"
    assert caught.value.param == "intent"
    assert caught.value.user_message == "No such payment_intent: 'pi_missing'"


@pytest.mark.parametrize(
    ("changes", "param", "code"),
    [
        ({"amount": None}, "amount", "parameter_missing"),
        ({"amount": "ten"}, "amount", "parameter_invalid_integer"),
        ({"amount": 10}, "amount", "amount_too_small"),
        ({"amount": 100_000_000}, "amount", "amount_too_large"),
        ({"currency": None}, "currency", "parameter_missing"),
        ({"currency": "xyz"}, "currency", None),
        ({"capture_method": "later"}, "capture_method", None),
        ({"payment_method": "pm_missing"}, "payment_method", "resource_missing"),
        ({"surprise": "1"}, "surprise", "parameter_unknown"),
        ({"metadata": {"k": "v" * 501}}, "metadata[k]", None),
    ],
)
def test_invalid_params_are_400_with_param(
    client: stripe.StripeClient,
    admin: Admin,
    changes: dict[str, Any],
    param: str,
    code: str | None,
) -> None:
    params = authorize(**changes)

    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.create(params)

    assert caught.value.http_status == 400
    assert caught.value.param == param
    assert caught.value.code == code
    assert caught.value.error is not None
    assert caught.value.error.type == "invalid_request_error"
    assert admin.stats()["objects"]["payment_intents"] == 0


def test_confirm_without_allow_redirects_never_needs_a_return_url(
    client: stripe.StripeClient,
) -> None:
    params = authorize(automatic_payment_methods=None)

    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.create(params)
    intent = client.v1.payment_intents.create({**params, "return_url": "https://example.org/"})

    assert "allow_redirects" in str(caught.value.user_message)
    assert intent.status == "requires_capture"


def test_two_step_create_then_confirm(client: stripe.StripeClient) -> None:
    params = authorize(confirm=None, payment_method=None)
    intent = client.v1.payment_intents.create(params)

    confirmed = client.v1.payment_intents.confirm(intent.id, {"payment_method": "pm_card_visa"})

    assert intent.status == "requires_payment_method"
    assert confirmed.status == "requires_capture"


def test_expand_latest_charge(client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.create(authorize())
    client.v1.payment_intents.capture(intent.id)

    expanded = client.v1.payment_intents.retrieve(intent.id, {"expand": ["latest_charge"]})

    assert isinstance(expanded.latest_charge, stripe.Charge)
    assert expanded.latest_charge.captured is True
    assert expanded.latest_charge.amount_captured == 1000


def test_refunds_partial_then_rest_then_refused(client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.create(authorize())
    client.v1.payment_intents.capture(intent.id)

    first = client.v1.refunds.create({"payment_intent": intent.id, "amount": 300})
    rest = client.v1.refunds.create({"payment_intent": intent.id})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create({"payment_intent": intent.id, "amount": 1})

    assert (first.object, first.amount, first.status) == ("refund", 300, "succeeded")
    assert rest.amount == 700
    assert caught.value.code == "charge_already_refunded"
    charge = client.v1.charges.retrieve(str(intent.latest_charge))
    assert (charge.amount_refunded, charge.refunded) == (1000, True)


def test_refund_of_an_uncaptured_intent_is_refused(client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.create(authorize())

    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create({"payment_intent": intent.id})

    assert caught.value.param == "payment_intent"


def test_events_can_be_retrieved(client: stripe.StripeClient, admin: Admin) -> None:
    intent = client.v1.payment_intents.create(authorize(), {"idempotency_key": "events-1"})
    event_id = admin.events(object_id=intent.id, type="payment_intent.amount_capturable_updated")[
        0
    ]["id"]

    event = client.v1.events.retrieve(event_id)

    assert event.type == "payment_intent.amount_capturable_updated"
    assert event.data.object["id"] == intent.id
    assert event.request is not None
    assert event.request.idempotency_key == "events-1"


def test_no_api_key_is_401(sandbox: Any) -> None:
    anonymous = stripe.StripeClient("", base_addresses={"api": sandbox.url})

    with pytest.raises(stripe.AuthenticationError) as caught:
        anonymous.v1.payment_intents.create(authorize())

    assert caught.value.http_status == 401
    assert "did not provide an API key" in str(caught.value.user_message)


def test_a_key_that_is_not_a_test_key_is_401(sandbox: Any) -> None:
    live = stripe.StripeClient("sk_live_nope", base_addresses={"api": sandbox.url})

    with pytest.raises(stripe.AuthenticationError) as caught:
        live.v1.payment_intents.retrieve("pi_missing")

    assert caught.value.http_status == 401
    assert "Invalid API Key provided" in str(caught.value.user_message)


def test_response_delay_holds_the_answer_after_the_effect(
    client: stripe.StripeClient, admin: Admin
) -> None:
    import threading

    admin.configure(response_delay_ms=2000)
    done = threading.Event()

    def create() -> None:
        client.v1.payment_intents.create(authorize())
        done.set()

    threading.Thread(target=create, daemon=True).start()
    for _ in range(100):
        if admin.events():
            break
        threading.Event().wait(0.02)

    assert admin.events(), "the intent was not made while its answer was held"
    assert not done.is_set()
    assert done.wait(10)
