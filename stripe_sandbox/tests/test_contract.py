"""The contract: what payment_service relies on, checked against the sandbox or real Stripe.

By default every test runs against the in-process sandbox. With STRIPE_CONTRACT_SECRET_KEY set
to a Stripe *test mode* secret key (sk_test_...), the same tests talk to api.stripe.com instead
and no sandbox is involved:

    cd stripe_sandbox && STRIPE_CONTRACT_SECRET_KEY=sk_test_... ../.venv/bin/pytest -q \\
        tests/test_contract.py

The client-side confirmation tests (what Stripe.js sends from the Payment Element's frame)
also need the account's publishable key in STRIPE_CONTRACT_PUBLISHABLE_KEY (pk_test_...); without
it they are skipped in the real run.

A difference between the two runs is a bug in the sandbox. Webhooks are not part of this module
(Stripe cannot reach a development machine); test_webhooks.py checks their signature with the
SDK's own verifier. Only test mode is ever used: nothing here can move real money.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import stripe

from .conftest import API_KEY, authorize

REAL_KEY = os.environ.get("STRIPE_CONTRACT_SECRET_KEY", "")
REAL_PUBLISHABLE_KEY = os.environ.get("STRIPE_CONTRACT_PUBLISHABLE_KEY", "")
# The fields payment_service reads from a PaymentIntent.
INTENT_FIELDS = {
    "id",
    "object",
    "amount",
    "amount_capturable",
    "amount_received",
    "currency",
    "status",
    "capture_method",
    "payment_method",
    "metadata",
    "latest_charge",
    "last_payment_error",
    "created",
    "livemode",
    "client_secret",
}


@pytest.fixture
def contract_client(request: pytest.FixtureRequest) -> stripe.StripeClient:
    if REAL_KEY:
        if not REAL_KEY.startswith("sk_test_"):
            pytest.fail("STRIPE_CONTRACT_SECRET_KEY must be a test mode key (sk_test_...)")
        return stripe.StripeClient(REAL_KEY)
    sandbox = request.getfixturevalue("sandbox")
    return stripe.StripeClient(API_KEY, base_addresses={"api": sandbox.url})


def _key() -> stripe.RequestOptions:
    return {"idempotency_key": f"contract-{uuid.uuid4()}"}


def _authorize(client: stripe.StripeClient, **changes: Any) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        authorize(metadata={"contract": "1"}, **changes), _key()
    )


def test_authorize_then_capture(contract_client: stripe.StripeClient) -> None:
    intent = _authorize(contract_client)

    captured = contract_client.v1.payment_intents.capture(intent.id, options=_key())

    assert set(intent.to_dict()) >= INTENT_FIELDS
    assert (intent.object, intent.status, intent.livemode) == (
        "payment_intent",
        "requires_capture",
        False,
    )
    assert (intent.amount, intent.amount_capturable, intent.amount_received) == (1000, 1000, 0)
    assert (intent.capture_method, intent.currency) == ("manual", "usd")
    assert intent.metadata.to_dict() == {"contract": "1"}
    assert str(intent.payment_method).startswith("pm_")
    assert str(intent.latest_charge).startswith("ch_")
    assert (captured.status, captured.amount_received, captured.amount_capturable) == (
        "succeeded",
        1000,
        0,
    )


def test_automatic_capture_succeeds_at_once(contract_client: stripe.StripeClient) -> None:
    intent = _authorize(contract_client, capture_method="automatic")

    assert (intent.status, intent.amount_received) == ("succeeded", 1000)


def test_decline_is_a_card_error_carrying_the_intent(contract_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.CardError) as caught:
        _authorize(contract_client, payment_method="pm_card_chargeDeclined")

    error = caught.value
    assert (error.http_status, error.code) == (402, "card_declined")
    assert error.error is not None
    assert (error.error.type, error.error.decline_code) == ("card_error", "generic_decline")
    assert error.error.payment_intent is not None
    intent = contract_client.v1.payment_intents.retrieve(error.error.payment_intent.id)
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error is not None
    assert intent.last_payment_error.code == "card_declined"


def test_capture_after_cancel_is_unexpected_state(contract_client: stripe.StripeClient) -> None:
    intent = _authorize(contract_client)
    canceled = contract_client.v1.payment_intents.cancel(intent.id, options=_key())

    with pytest.raises(stripe.InvalidRequestError) as caught:
        contract_client.v1.payment_intents.capture(intent.id, options=_key())

    assert canceled.status == "canceled"
    assert (caught.value.http_status, caught.value.code) == (400, "payment_intent_unexpected_state")


def test_second_capture_is_unexpected_state(contract_client: stripe.StripeClient) -> None:
    intent = _authorize(contract_client)
    contract_client.v1.payment_intents.capture(intent.id, options=_key())

    with pytest.raises(stripe.InvalidRequestError) as caught:
        contract_client.v1.payment_intents.capture(intent.id, options=_key())

    assert caught.value.code == "payment_intent_unexpected_state"


def test_idempotent_replay_then_mismatch(contract_client: stripe.StripeClient) -> None:
    options = _key()
    first = contract_client.v1.payment_intents.create(authorize(), options)

    again = contract_client.v1.payment_intents.create(authorize(), options)
    with pytest.raises(stripe.IdempotencyError) as caught:
        contract_client.v1.payment_intents.create(authorize(amount=1001), options)

    assert again.id == first.id
    assert again.last_response is not None
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert caught.value.http_status == 400
    assert caught.value.error is not None
    assert caught.value.error.type == "idempotency_error"


def test_unknown_intent_is_resource_missing(contract_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        contract_client.v1.payment_intents.retrieve("pi_3ContractDoesNotExist0001")

    assert (caught.value.http_status, caught.value.code) == (404, "resource_missing")


@pytest.mark.parametrize(
    ("changes", "param", "code"),
    [
        ({"amount": 49}, "amount", "amount_too_small"),
        ({"amount": 100_000_000}, "amount", "amount_too_large"),
        ({"surprise": "1"}, "surprise", "parameter_unknown"),
        ({"amount": None}, "amount", "parameter_missing"),
        ({"payment_method": "pm_does_not_exist"}, "payment_method", "resource_missing"),
    ],
)
def test_refused_parameters(
    contract_client: stripe.StripeClient, changes: dict[str, Any], param: str, code: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        contract_client.v1.payment_intents.create(authorize(**changes), _key())

    assert (caught.value.http_status, caught.value.param, caught.value.code) == (400, param, code)


def test_confirming_with_redirects_allowed_needs_a_return_url(
    contract_client: stripe.StripeClient,
) -> None:
    params = authorize(automatic_payment_methods=None)

    with pytest.raises(stripe.InvalidRequestError) as caught:
        contract_client.v1.payment_intents.create(params, _key())

    assert "allow_redirects" in str(caught.value.user_message)


def test_refund_of_a_captured_intent(contract_client: stripe.StripeClient) -> None:
    intent = _authorize(contract_client)
    contract_client.v1.payment_intents.capture(intent.id, options=_key())

    refund = contract_client.v1.refunds.create({"payment_intent": intent.id, "amount": 400}, _key())

    assert (refund.object, refund.amount, refund.status) == ("refund", 400, "succeeded")
    assert refund.payment_intent == intent.id


def test_nullable_fields_are_always_present(contract_client: stripe.StripeClient) -> None:
    intent = _authorize(contract_client)
    contract_client.v1.payment_intents.capture(intent.id, options=_key())
    refund = contract_client.v1.refunds.create({"payment_intent": intent.id, "amount": 100}, _key())

    charge = contract_client.v1.charges.retrieve(str(intent.latest_charge)).to_dict()
    body = refund.to_dict()

    assert {"receipt_number", "source"} <= set(charge)
    assert (charge["receipt_number"], charge["source"]) == (None, None)
    assert {"customer", "customer_account", "payment_method"} <= set(body)
    assert (body["customer"], body["customer_account"]) == (None, None)
    assert str(body["payment_method"]).startswith("pm_")
    assert "failure_reason" not in body  # present only once a refund failed


def test_a_refund_of_the_pending_refund_card_starts_pending(
    contract_client: stripe.StripeClient,
) -> None:
    intent = _authorize(contract_client, payment_method="pm_card_pendingRefund")
    contract_client.v1.payment_intents.capture(intent.id, options=_key())

    refund = contract_client.v1.refunds.create({"payment_intent": intent.id}, _key())

    assert (refund.status, refund.amount) == ("pending", 1000)


def test_a_refund_of_the_refund_fail_card_starts_succeeded(
    contract_client: stripe.StripeClient,
) -> None:
    intent = _authorize(contract_client, payment_method="pm_card_refundFail")
    contract_client.v1.payment_intents.capture(intent.id, options=_key())

    refund = contract_client.v1.refunds.create({"payment_intent": intent.id}, _key())

    assert refund.status == "succeeded"  # it fails later, asynchronously


def test_canceling_an_authorization_refunds_the_charge(
    contract_client: stripe.StripeClient,
) -> None:
    intent = _authorize(contract_client)

    contract_client.v1.payment_intents.cancel(intent.id, options=_key())

    charge = contract_client.v1.charges.retrieve(str(intent.latest_charge))
    refunds = contract_client.v1.refunds.list({"payment_intent": intent.id}).data
    assert (charge.captured, charge.amount_refunded, charge.refunded) == (False, 1000, True)
    assert [(r.amount, r.status, r.charge) for r in refunds] == [
        (1000, "succeeded", intent.latest_charge)
    ]


def test_refunds_list_by_payment_intent(contract_client: stripe.StripeClient) -> None:
    intent = _authorize(contract_client)
    contract_client.v1.payment_intents.capture(intent.id, options=_key())
    first = contract_client.v1.refunds.create(
        {"payment_intent": intent.id, "amount": 100, "metadata": {"refund_id": "1"}}, _key()
    )
    second = contract_client.v1.refunds.create(
        {"payment_intent": intent.id, "amount": 200, "metadata": {"refund_id": "2"}}, _key()
    )

    page = contract_client.v1.refunds.list({"payment_intent": intent.id, "limit": 1})
    walked = list(page.auto_paging_iter())

    assert (page.url, page.has_more) == ("/v1/refunds", True)
    # Both may share a `created` second; Stripe's order within one second is not the contract.
    assert {r.id: r.to_dict()["metadata"] for r in walked} == {
        first.id: {"refund_id": "1"},
        second.id: {"refund_id": "2"},
    }
    assert len(walked) == 2


def test_the_dispute_test_card_is_disputed_and_then_not_refundable(
    contract_client: stripe.StripeClient,
) -> None:
    intent = _authorize(contract_client, payment_method="pm_card_createDispute")
    contract_client.v1.payment_intents.capture(intent.id, options=_key())

    deadline = time.monotonic() + 60  # Stripe opens it a few seconds later; the sandbox at once
    disputes = contract_client.v1.disputes.list({"payment_intent": intent.id}).data
    while not disputes and time.monotonic() < deadline:
        time.sleep(2)
        disputes = contract_client.v1.disputes.list({"payment_intent": intent.id}).data

    [dispute] = disputes
    assert (dispute.object, dispute.status, dispute.reason) == (
        "dispute",
        "needs_response",
        "fraudulent",
    )
    assert (dispute.amount, dispute.charge, dispute.livemode) == (1000, intent.latest_charge, False)
    assert [t.to_dict()["balance_type"] for t in dispute.balance_transactions] == ["payments"]
    assert contract_client.v1.disputes.retrieve(dispute.id).id == dispute.id
    with pytest.raises(stripe.InvalidRequestError) as caught:
        contract_client.v1.refunds.create({"payment_intent": intent.id}, _key())
    assert caught.value.code == "charge_disputed"


def test_an_invalid_api_key_is_401(request: pytest.FixtureRequest) -> None:
    base = {} if REAL_KEY else {"api": request.getfixturevalue("sandbox").url}
    invalid = stripe.StripeClient("sk_invalid_contract_key", base_addresses=base)  # type: ignore[arg-type]

    with pytest.raises(stripe.AuthenticationError) as caught:
        invalid.v1.payment_intents.retrieve("pi_3ContractDoesNotExist0001")

    assert caught.value.http_status == 401


# --- Recurring gifts: customers, saved cards, off-session charges, SetupIntents --------------

CUSTOMER_FIELDS = {"id", "object", "created", "email", "name", "metadata", "invoice_settings"}


def _saved_card(client: stripe.StripeClient, card: str) -> tuple[str, stripe.PaymentMethod]:
    customer = client.v1.customers.create(
        {"email": "contract@example.org", "metadata": {"contract": "1"}}, _key()
    )
    method = client.v1.payment_methods.attach(card, {"customer": customer.id}, _key())
    return customer.id, method


def _charge_off_session(
    client: stripe.StripeClient, customer: str, method: str, **changes: Any
) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        authorize(
            customer=customer,
            payment_method=method,
            off_session=True,
            metadata={"pledge_id": "1"},
            **changes,
        ),
        _key(),
    )


def test_a_saved_card_is_charged_off_session(contract_client: stripe.StripeClient) -> None:
    customer_id, method = _saved_card(contract_client, "pm_card_visa")

    intent = _charge_off_session(contract_client, customer_id, method.id)
    listed = contract_client.v1.payment_intents.list({"customer": customer_id})
    customer = contract_client.v1.customers.retrieve(customer_id)

    assert set(customer.to_dict()) >= CUSTOMER_FIELDS
    assert (customer.object, customer.to_dict()["metadata"]) == ("customer", {"contract": "1"})
    assert (method.object, method.type, method.customer) == ("payment_method", "card", customer_id)
    assert (intent.status, intent.customer, intent.payment_method) == (
        "requires_capture",
        customer_id,
        method.id,
    )
    assert [(i.id, i.metadata.to_dict()) for i in listed.data] == [(intent.id, {"pledge_id": "1"})]
    assert (listed.to_dict()["object"], listed.url) == ("list", "/v1/payment_intents")


def test_the_always_authenticate_card_fails_off_session(
    contract_client: stripe.StripeClient,
) -> None:
    customer_id, method = _saved_card(contract_client, "pm_card_authenticationRequired")

    with pytest.raises(stripe.CardError) as caught:
        _charge_off_session(contract_client, customer_id, method.id)

    error = caught.value.error
    assert error is not None
    assert (caught.value.http_status, error.type, error.code) == (
        402,
        "card_error",
        "authentication_required",
    )
    assert error.payment_intent is not None
    assert error.payment_intent.status == "requires_payment_method"
    assert error.payment_intent.last_payment_error is not None
    assert error.payment_intent.last_payment_error.code == "authentication_required"


def test_the_charge_customer_fail_card_attaches_then_declines(
    contract_client: stripe.StripeClient,
) -> None:
    customer_id, method = _saved_card(contract_client, "pm_card_chargeCustomerFail")

    with pytest.raises(stripe.CardError) as caught:
        _charge_off_session(contract_client, customer_id, method.id)

    assert method.customer == customer_id
    assert caught.value.code == "card_declined"


def test_a_declining_card_cannot_be_attached(contract_client: stripe.StripeClient) -> None:
    customer = contract_client.v1.customers.create(options=_key())

    with pytest.raises(stripe.CardError) as caught:
        contract_client.v1.payment_methods.attach(
            "pm_card_chargeDeclined", {"customer": customer.id}, _key()
        )

    assert caught.value.code == "card_declined"


def test_a_setup_intent_saves_the_card(contract_client: stripe.StripeClient) -> None:
    customer = contract_client.v1.customers.create(options=_key())
    setup = contract_client.v1.setup_intents.create(
        {
            "customer": customer.id,
            "usage": "off_session",
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
            "metadata": {"contract": "1"},
        },
        _key(),
    )

    confirmed = contract_client.v1.setup_intents.confirm(
        setup.id, {"payment_method": "pm_card_visa"}, _key()
    )

    assert (setup.object, setup.status, setup.usage) == (
        "setup_intent",
        "requires_payment_method",
        "off_session",
    )
    assert str(setup.client_secret).startswith(f"{setup.id}_secret_")
    assert confirmed.status == "succeeded"
    method = contract_client.v1.payment_methods.retrieve(str(confirmed.payment_method))
    assert method.customer == customer.id


def test_the_authenticate_on_setup_card_asks_for_3d_secure_on_setup(
    contract_client: stripe.StripeClient,
) -> None:
    customer = contract_client.v1.customers.create(options=_key())

    setup = contract_client.v1.setup_intents.create(
        {
            "customer": customer.id,
            "payment_method": "pm_card_authenticationRequiredOnSetup",
            "confirm": True,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        },
        _key(),
    )

    assert setup.status == "requires_action"
    assert setup.next_action is not None
    assert setup.next_action.type == "use_stripe_sdk"


def test_fingerprints_are_per_card_number(contract_client: stripe.StripeClient) -> None:
    customer_id, first = _saved_card(contract_client, "pm_card_visa")
    second = contract_client.v1.payment_methods.attach(
        "pm_card_visa", {"customer": customer_id}, _key()
    )
    other = contract_client.v1.payment_methods.attach(
        "pm_card_mastercard", {"customer": customer_id}, _key()
    )

    assert first.card is not None
    assert second.card is not None
    assert other.card is not None
    assert first.id != second.id
    assert first.card.fingerprint == second.card.fingerprint
    assert first.card.fingerprint != other.card.fingerprint


# --- Client-side confirmation: what Stripe.js sends from the Payment Element's frame ----------


@dataclass(frozen=True)
class Browser:
    """The provider's API as a donor's browser reaches it: the publishable key only."""

    api: str
    publishable_key: str

    def confirm(self, intent: stripe.PaymentIntent, number: str) -> requests.Response:
        data = {
            "client_secret": intent.client_secret or "",
            "payment_method_data[type]": "card",
            "payment_method_data[card][number]": number,
            "payment_method_data[card][exp_month]": "12",
            "payment_method_data[card][exp_year]": "34",
            "payment_method_data[card][cvc]": "123",
        }
        return requests.post(
            f"{self.api}/v1/payment_intents/{intent.id}/confirm",
            data=data,
            headers={"Authorization": f"Bearer {self.publishable_key}"},
            timeout=30,
        )

    def retrieve(self, intent: stripe.PaymentIntent) -> requests.Response:
        return requests.get(
            f"{self.api}/v1/payment_intents/{intent.id}",
            params={"client_secret": intent.client_secret or ""},
            headers={"Authorization": f"Bearer {self.publishable_key}"},
            timeout=30,
        )


@pytest.fixture
def browser(request: pytest.FixtureRequest) -> Browser:
    if REAL_KEY:
        if not REAL_PUBLISHABLE_KEY.startswith("pk_test_"):
            pytest.skip("set STRIPE_CONTRACT_PUBLISHABLE_KEY (pk_test_...) for these")
        return Browser("https://api.stripe.com", REAL_PUBLISHABLE_KEY)
    return Browser(request.getfixturevalue("sandbox").url, "pk_test_careforall")


def _awaiting_the_browser(client: stripe.StripeClient) -> stripe.PaymentIntent:
    """What payment_service creates for a browser-confirmed payment: not confirmed."""
    return client.v1.payment_intents.create(
        authorize(payment_method=None, confirm=None, metadata={"contract": "1"}), _key()
    )


def test_the_browser_confirms_with_the_publishable_key_and_the_client_secret(
    contract_client: stripe.StripeClient, browser: Browser
) -> None:
    intent = _awaiting_the_browser(contract_client)

    confirmed = browser.confirm(intent, "4242424242424242")
    read = browser.retrieve(intent)
    seen = contract_client.v1.payment_intents.retrieve(intent.id, {"expand": ["latest_charge"]})

    assert intent.status == "requires_payment_method"
    assert str(intent.client_secret).startswith(f"{intent.id}_secret_")
    assert (confirmed.status_code, confirmed.json()["status"]) == (200, "requires_capture")
    assert (read.status_code, read.json()["status"]) == (200, "requires_capture")
    assert seen.status == "requires_capture"
    charge = seen.latest_charge
    assert isinstance(charge, stripe.Charge)
    assert charge.payment_method_details is not None
    assert charge.payment_method_details.card is not None
    assert charge.payment_method_details.card.last4 == "4242"
    assert charge.payment_method_details.card.brand == "visa"


def test_a_declined_number_in_the_browser_is_a_card_error(
    contract_client: stripe.StripeClient, browser: Browser
) -> None:
    intent = _awaiting_the_browser(contract_client)

    declined = browser.confirm(intent, "4000000000009995")

    assert declined.status_code == 402
    error = declined.json()["error"]
    assert (error["type"], error["code"], error["decline_code"]) == (
        "card_error",
        "card_declined",
        "insufficient_funds",
    )
    assert error["payment_intent"]["status"] == "requires_payment_method"


def test_3d_secure_leaves_the_intent_requiring_an_action_in_the_browser(
    contract_client: stripe.StripeClient, browser: Browser
) -> None:
    intent = _awaiting_the_browser(contract_client)

    waiting = browser.confirm(intent, "4000002500003155").json()
    canceled = contract_client.v1.payment_intents.cancel(
        intent.id, {"cancellation_reason": "abandoned"}, _key()
    )

    assert waiting["status"] == "requires_action"
    assert waiting["next_action"]["type"] == "use_stripe_sdk"
    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "abandoned")


def test_the_publishable_key_cannot_capture(
    contract_client: stripe.StripeClient, browser: Browser
) -> None:
    intent = _authorize(contract_client)

    answer = requests.post(
        f"{browser.api}/v1/payment_intents/{intent.id}/capture",
        headers={"Authorization": f"Bearer {browser.publishable_key}"},
        timeout=30,
    )

    assert answer.status_code in (401, 403)
    assert contract_client.v1.payment_intents.retrieve(intent.id).status == "requires_capture"
