"""Stripe.js's side of the API: confirming with the publishable key and the client secret, the
test card numbers, 3-D Secure challenges, and the files a browser loads from the sandbox."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import stripe

from stripe_sandbox import Sandbox

from .conftest import Admin

PUBLISHABLE_KEY = "pk_test_careforall"
CREATE: dict[str, Any] = {
    "amount": 1500,
    "currency": "usd",
    "capture_method": "manual",
    "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
    "metadata": {"payment_id": "9"},
}


def _card(number: str, **changes: str) -> dict[str, str]:
    card = {"number": number, "exp_month": "12", "exp_year": "34", "cvc": "123"} | changes
    fields = {f"payment_method_data[card][{name}]": value for name, value in card.items()}
    return {"payment_method_data[type]": "card", **fields}


def _browser(
    sandbox: Sandbox, method: str, path: str, data: dict[str, str], key: str = PUBLISHABLE_KEY
) -> requests.Response:
    headers = {"Authorization": f"Bearer {key}"}
    if method == "GET":
        return requests.get(f"{sandbox.url}{path}", params=data, headers=headers, timeout=5)
    return requests.post(f"{sandbox.url}{path}", data=data, headers=headers, timeout=5)


def _confirm(sandbox: Sandbox, intent: stripe.PaymentIntent, number: str) -> requests.Response:
    data = {"client_secret": intent.client_secret or "", **_card(number)}
    return _browser(sandbox, "POST", f"/v1/payment_intents/{intent.id}/confirm", data)


def test_4242_authorizes_an_intent_confirmed_with_the_publishable_key(
    sandbox: Sandbox, client: stripe.StripeClient, admin: Admin
) -> None:
    intent = client.v1.payment_intents.create(CREATE)  # type: ignore[arg-type]
    assert intent.status == "requires_payment_method"

    answer = _confirm(sandbox, intent, "4242424242424242")

    assert answer.status_code == 200
    assert answer.json()["status"] == "requires_capture"
    seen = client.v1.payment_intents.retrieve(intent.id, {"expand": ["latest_charge"]})
    charge = seen.latest_charge
    assert isinstance(charge, stripe.Charge)
    card = charge.payment_method_details.card  # type: ignore[union-attr]
    assert (card.brand, card.last4, card.exp_month, card.exp_year) == ("visa", "4242", 12, 2034)  # type: ignore[union-attr]
    assert admin.event_types(intent.id) == [
        "payment_intent.created",
        "payment_intent.amount_capturable_updated",
    ]
    # The card number is not kept anywhere the API can show.
    assert "4242424242424242" not in str(seen) + str(charge)


@pytest.mark.parametrize(
    ("number", "decline_code"),
    [("4000000000000002", "generic_decline"), ("4000000000009995", "insufficient_funds")],
)
def test_declined_numbers_are_card_errors_carrying_the_intent(
    sandbox: Sandbox, client: stripe.StripeClient, admin: Admin, number: str, decline_code: str
) -> None:
    intent = client.v1.payment_intents.create(CREATE)  # type: ignore[arg-type]

    answer = _confirm(sandbox, intent, number)

    assert answer.status_code == 402
    error = answer.json()["error"]
    assert (error["type"], error["code"], error["decline_code"]) == (
        "card_error",
        "card_declined",
        decline_code,
    )
    assert error["payment_intent"]["status"] == "requires_payment_method"
    assert error["payment_method"]["card"]["last4"] == number[-4:]
    assert admin.event_types(intent.id)[-1] == "payment_intent.payment_failed"


@pytest.mark.parametrize("passed", [True, False])
def test_3155_asks_for_a_challenge_that_the_donor_completes_or_fails(
    sandbox: Sandbox, client: stripe.StripeClient, admin: Admin, passed: bool
) -> None:
    intent = client.v1.payment_intents.create(CREATE)  # type: ignore[arg-type]

    waiting = _confirm(sandbox, intent, "4000002500003155").json()
    action = waiting["next_action"]
    challenge = action["use_stripe_sdk"]["stripe_js"]
    page = requests.get(f"{sandbox.url}{challenge}", timeout=5)
    answer = requests.post(
        f"{sandbox.url}{challenge}/{'complete' if passed else 'fail'}", timeout=5
    )
    again = requests.post(f"{sandbox.url}{challenge}/complete", timeout=5)

    assert waiting["status"] == "requires_action"
    assert action["type"] == "use_stripe_sdk"
    assert page.status_code == 200
    assert "Complete authentication" in page.text
    assert answer.status_code == 200
    assert again.status_code == 404  # a challenge is answered once
    seen = client.v1.payment_intents.retrieve(intent.id)
    if passed:
        assert seen.status == "requires_capture"
        assert admin.event_types(intent.id)[-1] == "payment_intent.amount_capturable_updated"
    else:
        assert seen.status == "requires_payment_method"
        assert seen.last_payment_error is not None
        assert seen.last_payment_error.code == "payment_intent_authentication_failure"
        assert admin.event_types(intent.id)[-1] == "payment_intent.payment_failed"
    assert admin.event_types(intent.id)[1] == "payment_intent.requires_action"


def test_canceling_closes_an_open_challenge(sandbox: Sandbox, client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.create(CREATE)  # type: ignore[arg-type]
    challenge = _confirm(sandbox, intent, "4000002500003155").json()["next_action"]
    path = challenge["use_stripe_sdk"]["stripe_js"]

    canceled = client.v1.payment_intents.cancel(intent.id, {"cancellation_reason": "abandoned"})
    answer = requests.post(f"{sandbox.url}{path}/complete", timeout=5)

    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "abandoned")
    assert answer.status_code == 404


@pytest.mark.parametrize(
    ("card", "code"),
    [
        ({"number": "4242424242424241"}, "invalid_number"),
        ({"number": "42"}, "invalid_number"),
        ({"exp_month": "13"}, "invalid_expiry_month"),
        ({"exp_year": "20"}, "invalid_expiry_year"),
        ({"cvc": "1"}, "invalid_cvc"),
    ],
)
def test_a_mistyped_card_is_refused_and_the_intent_waits(
    sandbox: Sandbox, client: stripe.StripeClient, card: dict[str, str], code: str
) -> None:
    intent = client.v1.payment_intents.create(CREATE)  # type: ignore[arg-type]
    data = {
        "client_secret": intent.client_secret or "",
        **_card("4242424242424242")
        | {f"payment_method_data[card][{name}]": value for name, value in card.items()},
    }

    answer = _browser(sandbox, "POST", f"/v1/payment_intents/{intent.id}/confirm", data)

    assert answer.status_code == 402
    assert answer.json()["error"]["code"] == code
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"


def test_a_real_card_number_is_declined_in_test_mode(
    sandbox: Sandbox, client: stripe.StripeClient
) -> None:
    intent = client.v1.payment_intents.create(CREATE)  # type: ignore[arg-type]

    answer = _confirm(sandbox, intent, "4111111111111111")

    assert answer.status_code == 402
    assert answer.json()["error"]["decline_code"] == "test_mode_live_card"


def test_the_publishable_key_needs_the_client_secret_and_does_nothing_else(
    sandbox: Sandbox, client: stripe.StripeClient
) -> None:
    intent = client.v1.payment_intents.create(CREATE)  # type: ignore[arg-type]
    path = f"/v1/payment_intents/{intent.id}"

    no_secret = _browser(sandbox, "POST", f"{path}/confirm", _card("4242424242424242"))
    wrong = _browser(
        sandbox,
        "POST",
        f"{path}/confirm",
        {"client_secret": f"{intent.id}_secret_wrong", **_card("4242424242424242")},
    )
    read = _browser(sandbox, "GET", path, {"client_secret": intent.client_secret or ""})
    read_without = _browser(sandbox, "GET", path, {})
    capture = _browser(sandbox, "POST", f"{path}/capture", {})
    create = _browser(sandbox, "POST", "/v1/payment_intents", {"amount": "100"})
    live = _browser(sandbox, "GET", path, {"client_secret": "x"}, key="pk_live_x")

    assert no_secret.status_code == 400
    assert no_secret.json()["error"]["param"] == "client_secret"
    assert wrong.status_code == 400
    assert read.status_code == 200
    assert read.json()["status"] == "requires_payment_method"
    assert read_without.status_code == 400
    assert (capture.status_code, create.status_code, live.status_code) == (401, 401, 401)
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"


@pytest.mark.parametrize(
    ("path", "content_type", "text"),
    [
        ("/v3/", "application/javascript", "window.Stripe = Stripe"),
        ("/elements/payment", "text/html", 'autocomplete="cc-number"'),
        ("/elements/payment-element.js", "application/javascript", "payment_method_data"),
    ],
)
def test_the_browser_files(sandbox: Sandbox, path: str, content_type: str, text: str) -> None:
    answer = requests.get(f"{sandbox.url}{path}", timeout=5)

    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith(content_type)
    assert text in answer.text


def test_an_unknown_challenge_is_404(sandbox: Sandbox) -> None:
    answer = requests.post(f"{sandbox.url}/3ds/src_1{'a' * 23}/complete", timeout=5)

    assert answer.status_code == 404
