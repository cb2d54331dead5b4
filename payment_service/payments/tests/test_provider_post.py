"""The intent create as plain JSON (``stripe_client.provider_post``): the SDK's request, its
errors, the provider's answer; only the SDK's response objects are not built.

Each case makes the create both ways with the same idempotency key, the plain one first: the
provider replays its first answer only to a request with the same parameters, so the second
call also shows that both sent the same request.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest
import stripe

from careforall_common.contracts.statuses import PaymentStatus
from payments import provider
from payments.models import Payment
from payments.stripe_client import (
    ProviderBusy,
    ProviderUnavailable,
    _RequestsClient,
    provider_post,
    stripe_client,
)
from payments.tests.factories import CLOSED_PORT_URL, Sandbox

INTENTS = "/v1/payment_intents"
# The SDK's telemetry of the call before (its duration, and which of its methods made it).
TELEMETRY = "X-Stripe-Client-Telemetry"


def made(pk: int = 1, *, amount: int = 2_500, payment_method: str = "pm_card_visa") -> Payment:
    """A payment as the create reads it (no row needed: the provider call reads no database)."""
    return Payment(
        pk=pk,
        pledge_id=40 + pk,
        campaign_id=7,
        amount=amount,
        currency="usd",
        payment_method=payment_method,
    )


def both_ways(payment: Payment) -> tuple[Any, Any]:
    """The create's answer (or error) as plain JSON, then through the SDK's service method."""
    params = provider.intent_create_params(payment)
    key = provider.idempotency_key(payment, "create")
    answers: list[Any] = []
    for call in (
        lambda: provider_post(INTENTS, params, key),
        lambda: stripe_client().v1.payment_intents.create(params, {"idempotency_key": key}),
    ):
        try:
            answers.append(call())
        except stripe.StripeError as error:
            answers.append(error)
    return answers[0], answers[1]


def same_error(plain: Any, sdk: Any) -> None:
    assert type(plain) is type(sdk)
    assert (plain.http_status, plain.code, plain.user_message) == (
        sdk.http_status,
        sdk.code,
        sdk.user_message,
    )
    assert plain.json_body == sdk.json_body
    assert plain.error is not None
    assert sdk.error is not None
    assert plain.error.to_dict() == sdk.error.to_dict()


@pytest.mark.parametrize("payment_method", ["pm_card_visa", ""])
def test_an_intent_is_the_sdk_s_as_plain_json(payment_method: str) -> None:
    plain, sdk = both_ways(made(payment_method=payment_method))

    assert isinstance(plain, dict)
    assert not isinstance(plain, stripe.StripeObject)
    assert plain == sdk.to_dict()
    assert provider.intent_report(plain) == provider.intent_report(sdk)


def test_the_request_is_the_sdk_s(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[tuple[Any, ...]] = []
    request = _RequestsClient.request

    def recorded(self: Any, method: str, url: str, headers: Any, post_data: Any = None) -> Any:
        sent.append((method, url, {k: v for k, v in headers.items() if k != TELEMETRY}, post_data))
        return request(self, method, url, headers, post_data)

    monkeypatch.setattr(_RequestsClient, "request", recorded)
    both_ways(made())

    plain, sdk = sent
    assert plain == sdk
    assert plain[2]["Idempotency-Key"] == "careforall-payment-1-create"
    assert plain[2]["Stripe-Version"] == stripe.api_version


def test_a_decline_is_the_same_card_error_and_the_same_failed_report() -> None:
    plain, sdk = both_ways(made(payment_method="pm_card_chargeDeclined"))

    assert isinstance(plain, stripe.CardError)
    same_error(plain, sdk)
    report = provider.intent_create(made(payment_method="pm_card_chargeDeclined"))
    assert report.status == PaymentStatus.FAILED
    assert report.failure_reason == "card_declined: generic_decline"
    assert report.intent_id == sdk.error.payment_intent.id


@pytest.mark.parametrize(
    ("payment", "reason"),
    [
        (made(amount=10), "amount_too_small"),
        (made(payment_method="pm_nobody_has"), "resource_missing"),
    ],
)
def test_a_refused_request_is_the_same_invalid_request_error(payment: Payment, reason: str) -> None:
    plain, sdk = both_ways(payment)

    assert isinstance(plain, stripe.InvalidRequestError)
    same_error(plain, sdk)
    report = provider.intent_create(payment)
    assert (report.status, report.failure_reason, report.intent_id) == (
        PaymentStatus.FAILED,
        reason,
        None,
    )


def test_the_key_reused_with_other_parameters_is_an_idempotency_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    provider.intent_create(made())
    plain, sdk = both_ways(made(amount=3_000))

    assert isinstance(plain, stripe.IdempotencyError)
    same_error(plain, sdk)
    with caplog.at_level(logging.ERROR), pytest.raises(ProviderUnavailable) as raised:
        provider.intent_create(made(amount=3_000))
    assert type(raised.value) is ProviderUnavailable
    assert "create of payment 1 failed" in caplog.text


def test_a_create_in_progress_under_the_key_is_provider_busy(sandbox: Sandbox) -> None:
    sandbox.configure(processing_delay_ms=1_500)
    first = threading.Thread(target=provider.intent_create, args=(made(),))
    first.start()
    try:
        while not sandbox.stats()["idempotency"]["keys"]:  # the first holds the key
            time.sleep(0.01)
        plain, sdk = both_ways(made())
        with pytest.raises(ProviderBusy):
            provider.intent_create(made())
    finally:
        first.join()

    assert type(plain) is stripe.APIError
    assert plain.http_status == 409
    same_error(plain, sdk)


def test_an_unreachable_provider_is_provider_unavailable(settings: Any) -> None:
    settings.STRIPE_API_BASE = CLOSED_PORT_URL
    plain, sdk = both_ways(made())

    assert type(plain) is type(sdk) is stripe.APIConnectionError
    with pytest.raises(ProviderUnavailable) as raised:
        provider.intent_create(made())
    assert type(raised.value) is ProviderUnavailable
