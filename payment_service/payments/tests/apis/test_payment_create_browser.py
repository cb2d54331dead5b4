"""Browser-confirmed payments (SPEC §3): the intent waits for the donor's browser, which confirms
it with Stripe.js; the platform learns the outcome from the provider only, and cancels an intent
left unconfirmed (abandoned).

"The browser" here is what Stripe.js sends: the sandbox's confirm with the publishable key, the
client secret and the card, never through payment_service.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import requests
from django.utils import timezone

from careforall_common.contracts.statuses import PaymentStatus
from payments.models import IdempotencyRecord, Payment
from payments.tasks import payment_capture_task
from payments.tests.factories import (
    AUTHORIZED_EVENTS,
    CAPTURED_EVENTS,
    FAILED_EVENTS,
    NOTHING,
    Sandbox,
    events,
    payment,
    payment_post,
    webhook_post,
    written,
)
from provider_events.reconciliation import payments_reconcile

pytestmark = pytest.mark.django_db

BROWSER = {"pledge_id": 41}
CREATE = "POST /v1/payment_intents"
AUTHORIZED = "payment_intent.amount_capturable_updated"
FAILED = "payment_intent.payment_failed"
CANCELED = "payment_intent.canceled"


def browser_confirms(sandbox: Sandbox, body: dict[str, Any], number: str) -> dict[str, Any]:
    """What the Payment Element sends to the provider: the card, with the publishable key."""
    intent_id = body["provider_payment_id"]
    answer = requests.post(
        f"{sandbox.url}/v1/payment_intents/{intent_id}/confirm",
        headers={"Authorization": f"Bearer {body['publishable_key']}"},
        data={
            "client_secret": body["client_secret"],
            "payment_method_data[type]": "card",
            "payment_method_data[card][number]": number,
            "payment_method_data[card][exp_month]": "12",
            "payment_method_data[card][exp_year]": "34",
            "payment_method_data[card][cvc]": "123",
        },
        timeout=5,
    )
    result: dict[str, Any] = answer.json()
    return result


def abandon_after(settings: Any, seconds: float) -> None:
    settings.PAYMENT_ABANDON_AFTER_SECONDS = seconds
    Payment.objects.update(reconcile_after=timezone.now())


def test_without_a_payment_method_the_intent_waits_for_the_browser(
    donor_client: Any, donor_pledge: int, sandbox: Sandbox, settings: Any
) -> None:
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_careforall"

    response = payment_post(donor_client, BROWSER)
    again = payment_post(donor_client, BROWSER)
    read = donor_client.get(f"/api/payments/{response.json()['id']}")

    assert response.status_code == 201
    body = response.json()
    made = payment()
    intent = sandbox.client().v1.payment_intents.retrieve(made.provider_payment_id or "")
    assert body["status"] == "PROCESSING"
    assert body["provider_payment_id"] == intent.id
    assert body["client_secret"] == intent.client_secret
    assert body["publishable_key"] == "pk_test_careforall"
    assert (body["card_brand"], body["card_last4"]) == (None, None)
    assert (intent.status, intent.capture_method, intent.amount) == (
        "requires_payment_method",
        "manual",
        2_500,
    )
    assert intent.metadata.to_dict() == {
        "payment_id": str(made.pk),
        "pledge_id": "41",
        "campaign_id": "7",
    }
    assert made.payment_method == ""
    assert events() == []  # nothing moved: no event
    # The repeat is the first answer; the secret is never in a read.
    assert (again.status_code, again["Idempotent-Replayed"], again.json()) == (201, "true", body)
    assert "client_secret" not in read.json()
    assert "publishable_key" not in read.json()
    assert sandbox.calls(CREATE) == 1


def test_the_browser_confirms_the_webhook_authorizes_and_the_platform_captures(
    donor_client: Any, client: Any, donor_pledge: int, sandbox: Sandbox
) -> None:
    body = payment_post(donor_client, BROWSER).json()

    confirmed = browser_confirms(sandbox, body, "4242424242424242")
    webhook = webhook_post(client, sandbox.event(body["provider_payment_id"], AUTHORIZED))
    authorized = payment()
    captured = payment_capture_task(payment_id=authorized.pk)

    assert confirmed["status"] == "requires_capture"
    assert webhook.json()["result"] == "processed"
    assert authorized.status == PaymentStatus.AUTHORIZED
    assert (authorized.card_brand, authorized.card_last4) == ("visa", "4242")
    assert captured is True
    assert payment().status == PaymentStatus.CAPTURED
    assert events() == AUTHORIZED_EVENTS + CAPTURED_EVENTS
    shown = donor_client.get(f"/api/payments/{authorized.pk}").json()
    assert (shown["status"], shown["card_brand"], shown["card_last4"]) == (
        "CAPTURED",
        "visa",
        "4242",
    )


def test_a_dropped_webhook_is_found_by_reconciliation(
    donor_client: Any, donor_pledge: int, sandbox: Sandbox
) -> None:
    body = payment_post(donor_client, BROWSER).json()
    browser_confirms(sandbox, body, "4242424242424242")  # its webhook never arrives
    Payment.objects.update(reconcile_after=timezone.now())

    moved = payments_reconcile()

    assert moved == 1
    assert (payment().status, payment().card_last4) == (PaymentStatus.AUTHORIZED, "4242")


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("4000000000000002", "card_declined: generic_decline"),
        ("4000000000009995", "card_declined: insufficient_funds"),
    ],
)
def test_a_decline_in_the_browser_fails_the_payment_once(
    donor_client: Any, client: Any, donor_pledge: int, sandbox: Sandbox, number: str, reason: str
) -> None:
    body = payment_post(donor_client, BROWSER).json()

    declined = browser_confirms(sandbox, body, number)
    event = sandbox.event(body["provider_payment_id"], FAILED)
    first, again = webhook_post(client, event), webhook_post(client, event)

    assert declined["error"]["code"] == "card_declined"
    assert (first.json()["result"], again.json()["result"]) == ("processed", "duplicate")
    failed = payment()
    assert (failed.status, failed.failure_reason) == (PaymentStatus.FAILED, reason)
    assert failed.card_last4 == number[-4:]
    assert events() == FAILED_EVENTS


def test_an_authorization_after_the_decline_is_released_never_captured(
    donor_client: Any, client: Any, donor_pledge: int, sandbox: Sandbox
) -> None:
    """A page confirms the declined intent again with another card: the payment stays FAILED
    (terminal) and the hold on the donor's card is released at once."""
    body = payment_post(donor_client, BROWSER).json()
    intent_id = body["provider_payment_id"]
    browser_confirms(sandbox, body, "4000000000000002")
    webhook_post(client, sandbox.event(intent_id, FAILED))

    again = browser_confirms(sandbox, body, "4242424242424242")
    late = webhook_post(client, sandbox.event(intent_id, AUTHORIZED))

    assert again["status"] == "requires_capture"
    assert late.json()["result"] == "no_change"
    assert payment().status == PaymentStatus.FAILED
    intent = sandbox.client().v1.payment_intents.retrieve(intent_id)
    assert (intent.status, intent.amount_capturable) == ("canceled", 0)
    assert events() == FAILED_EVENTS


@pytest.mark.parametrize("passed", [True, False])
def test_3d_secure_waits_for_the_challenge_then_follows_the_provider(
    donor_client: Any, client: Any, donor_pledge: int, sandbox: Sandbox, passed: bool
) -> None:
    body = payment_post(donor_client, BROWSER).json()
    waiting = browser_confirms(sandbox, body, "4000002500003155")
    Payment.objects.update(reconcile_after=timezone.now())
    asked = payments_reconcile()  # the challenge is open: nothing to do yet
    challenge = waiting["next_action"]["use_stripe_sdk"]["stripe_js"]

    requests.post(f"{sandbox.url}{challenge}/{'complete' if passed else 'fail'}", timeout=5)
    kind = AUTHORIZED if passed else FAILED
    webhook_post(client, sandbox.event(body["provider_payment_id"], kind))

    assert waiting["status"] == "requires_action"
    assert asked == 0
    if passed:
        assert payment().status == PaymentStatus.AUTHORIZED
        assert events() == AUTHORIZED_EVENTS
    else:
        assert (payment().status, payment().failure_reason) == (
            PaymentStatus.FAILED,
            "payment_intent_authentication_failure",
        )
        assert events() == FAILED_EVENTS


def test_the_browser_s_word_moves_nothing(
    donor_client: Any, client: Any, donor_pledge: int, sandbox: Sandbox
) -> None:
    body = payment_post(donor_client, BROWSER).json()
    forged = {
        "id": "evt_forged",
        "type": "payment_intent.succeeded",
        "data": {
            "object": {
                "id": body["provider_payment_id"],
                "object": "payment_intent",
                "status": "succeeded",
                "amount": 2_500,
                "currency": "usd",
            }
        },
    }

    unsigned = webhook_post(client, forged, signature=None)
    wrongly_signed = webhook_post(client, forged, secret="whsec_guessed")
    posted_again = payment_post(donor_client, {**BROWSER}, key="key-2")

    assert (unsigned.status_code, wrongly_signed.status_code) == (400, 400)
    assert posted_again.status_code == 409
    assert payment().status == PaymentStatus.PROCESSING
    assert events() == []


def test_an_intent_left_unconfirmed_is_canceled_as_abandoned_once(
    donor_client: Any, client: Any, donor_pledge: int, sandbox: Sandbox, settings: Any
) -> None:
    body = payment_post(donor_client, BROWSER).json()
    abandon_after(settings, 3600)
    early = payments_reconcile()
    abandon_after(settings, 0)

    moved = payments_reconcile()
    canceled = webhook_post(client, sandbox.event(body["provider_payment_id"], CANCELED))
    abandon_after(settings, 0)
    later = payments_reconcile()

    assert (early, moved, later) == (0, 1, 0)
    failed = payment()
    assert (failed.status, failed.failure_reason) == (PaymentStatus.FAILED, "abandoned")
    intent = sandbox.client().v1.payment_intents.retrieve(body["provider_payment_id"])
    assert (intent.status, intent.cancellation_reason) == ("canceled", "abandoned")
    assert canceled.json()["result"] == "no_change"
    assert events() == FAILED_EVENTS
    assert failed.pk == body["id"]


def test_an_open_3d_secure_challenge_is_abandoned_too(
    donor_client: Any, donor_pledge: int, sandbox: Sandbox, settings: Any
) -> None:
    body = payment_post(donor_client, BROWSER).json()
    browser_confirms(sandbox, body, "4000002500003155")
    abandon_after(settings, 0)

    payments_reconcile()

    assert (payment().status, payment().failure_reason) == (PaymentStatus.FAILED, "abandoned")


def test_a_confirmed_intent_is_never_abandoned(
    donor_client: Any, donor_pledge: int, sandbox: Sandbox, settings: Any
) -> None:
    body = payment_post(donor_client, BROWSER).json()
    browser_confirms(sandbox, body, "4242424242424242")  # its webhook is late
    abandon_after(settings, 0)

    payments_reconcile()

    assert payment().status == PaymentStatus.AUTHORIZED
    intent = sandbox.client().v1.payment_intents.retrieve(body["provider_payment_id"])
    assert intent.status == "requires_capture"


def test_reconciliation_looks_again_when_the_payment_would_be_abandoned(
    donor_client: Any, donor_pledge: int, sandbox: Sandbox, settings: Any
) -> None:
    payment_post(donor_client, BROWSER)
    settings.PAYMENT_ABANDON_AFTER_SECONDS = 40
    settings.PAYMENT_RECONCILE_AFTER_SECONDS = 30
    made = payment()
    Payment.objects.update(
        created_at=timezone.now() - timedelta(seconds=30), reconcile_after=timezone.now()
    )

    payments_reconcile()

    wait = (payment().reconcile_after - timezone.now()).total_seconds()
    assert made.status == PaymentStatus.PROCESSING
    assert 8 < wait <= 10  # not the 30 s it would otherwise wait


def test_with_the_provider_down_the_browser_is_told_to_retry_and_the_retry_resumes(
    donor_client: Any, donor_pledge: int, sandbox: Sandbox, settings: Any
) -> None:
    up = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"

    down = payment_post(donor_client, BROWSER)
    settings.STRIPE_API_BASE = up
    retry = payment_post(donor_client, BROWSER)

    assert down.status_code == 503
    assert down["Content-Type"] == "application/problem+json"
    assert retry.status_code == 201
    assert retry.json()["client_secret"].startswith(retry.json()["provider_payment_id"])
    assert IdempotencyRecord.objects.get().answered is True
    assert sandbox.intents() == 1


def test_an_unknown_field_is_400_and_writes_nothing(
    donor_client: Any, donor_pledge: int, sandbox: Sandbox
) -> None:
    response = payment_post(donor_client, {**BROWSER, "card_number": "4242424242424242"})

    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["card_number"]
    assert written() == NOTHING
    assert sandbox.intents() == 0


def test_the_config_tells_the_donor_site_how_to_load_stripe_js(client: Any, settings: Any) -> None:
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_abc"
    settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"

    with_sandbox = client.get("/api/payments/config").json()
    settings.STRIPE_API_BASE = ""
    with_stripe = client.get("/api/payments/config").json()

    challenge = with_sandbox.pop("challenge")  # card-testing defence: defence/tests
    assert with_sandbox == {
        "publishable_key": "pk_test_abc",
        "js_url": "https://js.stripe.com/v3/",
        "sandbox": True,
    }
    assert set(challenge) == {"mode", "active", "site_key", "script_url"}
    assert with_stripe["sandbox"] is False
