"""SetupIntents: saving a donor's (new) card for off-session charges, server- and browser-side."""

from __future__ import annotations

import pytest
import requests
import stripe

from stripe_sandbox import Sandbox

from .conftest import Admin, authorize

PUBLISHABLE_KEY = "pk_test_careforall"
NO_REDIRECTS = {"enabled": True, "allow_redirects": "never"}


def _setup(client: stripe.StripeClient, customer: str, **changes: object) -> stripe.SetupIntent:
    params = {
        "customer": customer,
        "automatic_payment_methods": NO_REDIRECTS,
        "usage": "off_session",
        "metadata": {"plan_id": "4"},
        **changes,
    }
    return client.v1.setup_intents.create(params)  # type: ignore[arg-type]


def _browser_confirm(
    sandbox: Sandbox, setup: stripe.SetupIntent, number: str, secret: str | None = None
) -> requests.Response:
    data = {
        "client_secret": secret if secret is not None else setup.client_secret or "",
        "payment_method_data[type]": "card",
        "payment_method_data[card][number]": number,
        "payment_method_data[card][exp_month]": "12",
        "payment_method_data[card][exp_year]": "34",
        "payment_method_data[card][cvc]": "123",
    }
    return requests.post(
        f"{sandbox.url}/v1/setup_intents/{setup.id}/confirm",
        data=data,
        headers={"Authorization": f"Bearer {PUBLISHABLE_KEY}"},
        timeout=5,
    )


def test_a_setup_intent_saves_the_card_to_the_customer(
    client: stripe.StripeClient, admin: Admin
) -> None:
    customer = client.v1.customers.create()
    setup = _setup(client, customer.id)

    confirmed = client.v1.setup_intents.confirm(setup.id, {"payment_method": "pm_card_visa"})
    charged = client.v1.payment_intents.create(
        authorize(customer=customer.id, payment_method=confirmed.payment_method, off_session=True)
    )

    assert setup.id.startswith("seti_")
    assert str(setup.client_secret).startswith(f"{setup.id}_secret_")
    assert (setup.object, setup.status, setup.usage) == (
        "setup_intent",
        "requires_payment_method",
        "off_session",
    )
    assert setup.to_dict()["metadata"] == {"plan_id": "4"}
    assert confirmed.status == "succeeded"
    method = client.v1.payment_methods.retrieve(str(confirmed.payment_method))
    assert method.customer == customer.id
    assert charged.status == "requires_capture"
    assert admin.event_types(setup.id) == ["setup_intent.created", "setup_intent.succeeded"]


def test_create_and_confirm_in_one_call(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()

    setup = _setup(client, customer.id, payment_method="pm_card_mastercard", confirm=True)

    assert setup.status == "succeeded"
    assert client.v1.setup_intents.retrieve(setup.id).status == "succeeded"


def test_3155_asks_for_3d_secure_once_then_charges_off_session(
    client: stripe.StripeClient, sandbox: Sandbox, admin: Admin
) -> None:
    customer = client.v1.customers.create()
    setup = _setup(client, customer.id)

    waiting = client.v1.setup_intents.confirm(
        setup.id, {"payment_method": "pm_card_authenticationRequiredOnSetup"}
    )
    assert waiting.status == "requires_action"
    assert waiting.next_action is not None
    action = waiting.next_action.to_dict()
    assert action["type"] == "use_stripe_sdk"
    answer = requests.post(
        f"{sandbox.url}{action['use_stripe_sdk']['stripe_js']}/complete", timeout=5
    )
    done = client.v1.setup_intents.retrieve(setup.id)
    charged = client.v1.payment_intents.create(
        authorize(customer=customer.id, payment_method=done.payment_method, off_session=True)
    )

    assert answer.json() == {"status": "succeeded"}
    assert done.status == "succeeded"
    assert charged.status == "requires_capture"
    assert admin.event_types(setup.id) == [
        "setup_intent.created",
        "setup_intent.requires_action",
        "setup_intent.succeeded",
    ]


def test_3184_is_set_up_but_still_fails_off_session(
    client: stripe.StripeClient, sandbox: Sandbox
) -> None:
    customer = client.v1.customers.create()
    setup = _setup(client, customer.id, payment_method="pm_card_authenticationRequired")
    waiting = client.v1.setup_intents.confirm(setup.id)
    assert waiting.next_action is not None
    challenge = waiting.next_action.to_dict()["use_stripe_sdk"]["stripe_js"]
    requests.post(f"{sandbox.url}{challenge}/complete", timeout=5).raise_for_status()
    done = client.v1.setup_intents.retrieve(setup.id)

    with pytest.raises(stripe.CardError) as caught:
        client.v1.payment_intents.create(
            authorize(customer=customer.id, payment_method=done.payment_method, off_session=True)
        )

    assert done.status == "succeeded"
    assert caught.value.code == "authentication_required"


def test_a_failed_challenge_fails_the_setup(
    client: stripe.StripeClient, sandbox: Sandbox, admin: Admin
) -> None:
    customer = client.v1.customers.create()
    setup = _setup(
        client, customer.id, payment_method="pm_card_authenticationRequired", confirm=True
    )
    assert setup.next_action is not None
    challenge = setup.next_action.to_dict()["use_stripe_sdk"]["stripe_js"]

    requests.post(f"{sandbox.url}{challenge}/fail", timeout=5).raise_for_status()

    failed = client.v1.setup_intents.retrieve(setup.id)
    assert (failed.status, failed.payment_method) == ("requires_payment_method", None)
    assert failed.last_setup_error is not None
    assert failed.last_setup_error.code == "setup_intent_authentication_failure"
    assert client.v1.customers.payment_methods.list(customer.id).data == []
    assert admin.event_types(setup.id)[-1] == "setup_intent.setup_failed"


def test_a_declined_card_is_a_card_error_carrying_the_setup_intent(
    client: stripe.StripeClient, admin: Admin
) -> None:
    customer = client.v1.customers.create()
    setup = _setup(client, customer.id)

    with pytest.raises(stripe.CardError) as caught:
        client.v1.setup_intents.confirm(setup.id, {"payment_method": "pm_card_chargeDeclined"})

    error = caught.value.error
    assert error is not None
    assert (caught.value.http_status, error.code, error.decline_code) == (
        402,
        "card_declined",
        "generic_decline",
    )
    assert error.setup_intent is not None
    assert error.setup_intent.status == "requires_payment_method"
    assert error.setup_intent.last_setup_error is not None
    assert admin.event_types(setup.id) == ["setup_intent.created", "setup_intent.setup_failed"]


def test_the_browser_confirms_with_the_publishable_key_and_the_client_secret(
    client: stripe.StripeClient, sandbox: Sandbox
) -> None:
    customer = client.v1.customers.create()
    setup = _setup(client, customer.id)

    wrong = _browser_confirm(sandbox, setup, "4242424242424242", secret="seti_x_secret_y")
    answer = _browser_confirm(sandbox, setup, "4242424242424242")
    read = requests.get(
        f"{sandbox.url}/v1/setup_intents/{setup.id}",
        params={"client_secret": setup.client_secret},
        headers={"Authorization": f"Bearer {PUBLISHABLE_KEY}"},
        timeout=5,
    )
    cancel = requests.post(
        f"{sandbox.url}/v1/setup_intents/{setup.id}/cancel",
        headers={"Authorization": f"Bearer {PUBLISHABLE_KEY}"},
        timeout=5,
    )

    assert (wrong.status_code, wrong.json()["error"]["param"]) == (400, "client_secret")
    assert (answer.status_code, answer.json()["status"]) == (200, "succeeded")
    assert read.json()["status"] == "succeeded"
    assert cancel.status_code == 401
    [method] = client.v1.customers.payment_methods.list(customer.id).data
    assert method.card is not None
    assert method.card.last4 == "4242"
    assert "4242424242424242" not in answer.text


def test_cancel_and_the_states_that_refuse_it(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    open_setup = _setup(client, customer.id)
    done = _setup(client, customer.id, payment_method="pm_card_visa", confirm=True)

    canceled = client.v1.setup_intents.cancel(
        open_setup.id, {"cancellation_reason": "requested_by_customer"}
    )
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.setup_intents.cancel(done.id)
    with pytest.raises(stripe.InvalidRequestError) as confirm_canceled:
        client.v1.setup_intents.confirm(open_setup.id, {"payment_method": "pm_card_visa"})

    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "requested_by_customer")
    assert caught.value.code == confirm_canceled.value.code == "setup_intent_unexpected_state"


def test_confirming_without_a_payment_method_or_redirect_rules(
    client: stripe.StripeClient,
) -> None:
    customer = client.v1.customers.create()
    setup = _setup(client, customer.id)

    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.setup_intents.confirm(setup.id)
    with pytest.raises(stripe.InvalidRequestError) as redirects:
        client.v1.setup_intents.create(
            {"customer": customer.id, "payment_method": "pm_card_visa", "confirm": True}
        )

    assert missing.value.code == "setup_intent_unexpected_state"
    assert "allow_redirects" in str(redirects.value.user_message)


def test_setup_intents_are_listed_by_customer(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    other = client.v1.customers.create()
    first = _setup(client, customer.id)
    second = _setup(client, customer.id)
    _setup(client, other.id)

    listed = client.v1.setup_intents.list({"customer": customer.id})

    assert [s.id for s in listed.data] == [second.id, first.id]


def test_the_stripe_js_stand_in_offers_the_setup_calls(sandbox: Sandbox) -> None:
    script = requests.get(f"{sandbox.url}/v3/", timeout=5).text
    frame = requests.get(f"{sandbox.url}/elements/payment-element.js", timeout=5).text

    for call in ("confirmSetup", "confirmCardSetup", "confirmCardPayment", "retrieveSetupIntent"):
        assert f"Stripe.prototype.{call} = function" in script
    assert "setup_intents" in frame
