"""POST /api/payments/webhook (SPEC §3, §5.3, §5.6): signed hints, once, forward only.

The events are the sandbox's own (``/_sandbox/events``), delivered here with Stripe's signature
scheme computed in the test, so each case controls the order and the repeats.
"""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import pytest

from careforall_common.contracts.statuses import PaymentStatus
from payments import provider
from payments.tasks import payment_capture_task
from payments.tests.factories import (
    AUTHORIZED_EVENTS,
    CAPTURED_EVENTS,
    FAILED_EVENTS,
    NOTHING,
    Sandbox,
    events,
    intent_made_before_a_crash,
    payment,
    payment_before_a_crash,
    payment_post,
    stripe_signature,
    webhook_post,
    written,
)
from provider_events.models import ProviderEvent, ProviderEventResult

pytestmark = pytest.mark.django_db

AUTHORIZED = "payment_intent.amount_capturable_updated"
SUCCEEDED = "payment_intent.succeeded"
FAILED = "payment_intent.payment_failed"


@pytest.fixture
def crashed() -> str:
    """A payment whose request died after the provider authorized it; returns the intent id."""
    return intent_made_before_a_crash(payment_before_a_crash())


def captured_at_the_provider(sandbox: Sandbox, intent_id: str) -> None:
    """The capture happened (the task's process died before recording it)."""
    sandbox.client().v1.payment_intents.capture(
        intent_id, options={"idempotency_key": provider.idempotency_key(payment(), "capture")}
    )


def test_an_authorization_moves_a_payment_whose_request_died(
    client: Any, sandbox: Sandbox, crashed: str
) -> None:
    response = webhook_post(client, sandbox.event(crashed, AUTHORIZED))

    assert response.status_code == 200
    assert response.json() == {"received": True, "result": "processed"}
    made = payment()
    assert (made.status, made.provider_payment_id) == (PaymentStatus.AUTHORIZED, crashed)
    assert events() == AUTHORIZED_EVENTS
    stored = ProviderEvent.objects.get()
    assert (stored.event_type, stored.intent_id, stored.payment_id) == (
        AUTHORIZED,
        crashed,
        made.pk,
    )
    assert stored.result == ProviderEventResult.PROCESSED
    assert stored.payload["data"]["object"]["id"] == crashed


def test_a_duplicate_event_changes_nothing(client: Any, sandbox: Sandbox, crashed: str) -> None:
    event = sandbox.event(crashed, AUTHORIZED)

    first = webhook_post(client, event)
    again = webhook_post(client, event)

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["result"] == "duplicate"
    assert events() == AUTHORIZED_EVENTS
    assert ProviderEvent.objects.count() == 1


def test_a_capture_reported_before_the_authorization_ends_captured(
    client: Any, sandbox: Sandbox, crashed: str
) -> None:
    captured_at_the_provider(sandbox, crashed)

    succeeded = webhook_post(client, sandbox.event(crashed, SUCCEEDED))
    authorized = webhook_post(client, sandbox.event(crashed, AUTHORIZED))

    assert succeeded.json()["result"] == "processed"
    assert authorized.json()["result"] == "no_change"
    assert payment().status == PaymentStatus.CAPTURED
    assert events() == CAPTURED_EVENTS  # PROCESSING → CAPTURED: one move, one event


def test_an_old_authorization_event_applies_the_intent_s_state_now(
    client: Any, sandbox: Sandbox, crashed: str
) -> None:
    captured_at_the_provider(sandbox, crashed)

    response = webhook_post(client, sandbox.event(crashed, AUTHORIZED))

    assert response.json()["result"] == "processed"
    assert payment().status == PaymentStatus.CAPTURED  # retrieved: not merely AUTHORIZED
    assert events() == CAPTURED_EVENTS


def test_with_the_provider_unreachable_the_event_s_snapshot_is_applied(
    client: Any, sandbox: Sandbox, crashed: str, settings: Any
) -> None:
    captured_at_the_provider(sandbox, crashed)
    authorized, succeeded = sandbox.event(crashed, AUTHORIZED), sandbox.event(crashed, SUCCEEDED)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"

    first = webhook_post(client, authorized)
    second = webhook_post(client, succeeded)

    assert (first.json()["result"], second.json()["result"]) == ("processed", "processed")
    assert payment().status == PaymentStatus.CAPTURED
    assert events() == AUTHORIZED_EVENTS + CAPTURED_EVENTS


def test_a_late_failure_after_the_capture_is_ignored(
    client: Any, donor_client: Any, donor_pledge: int, sandbox: Sandbox
) -> None:
    payment_post(donor_client, {"pledge_id": 41, "payment_method": "pm_card_visa"})
    payment_capture_task(payment_id=payment().pk)
    intent_id = payment().provider_payment_id or ""
    late = copy.deepcopy(sandbox.event(intent_id, AUTHORIZED))
    late["id"], late["type"] = "evt_late_failure", FAILED
    late["data"]["object"].update(
        status="requires_payment_method",
        last_payment_error={"code": "card_declined", "decline_code": "generic_decline"},
    )

    response = webhook_post(client, late)

    assert response.json()["result"] == "no_change"
    assert payment().status == PaymentStatus.CAPTURED
    assert events() == AUTHORIZED_EVENTS + CAPTURED_EVENTS
    assert sandbox.calls("GET /v1/payment_intents/{id}") == 0  # a backward hint costs no call


def test_a_decline_reported_by_webhook_fails_the_payment(client: Any, sandbox: Sandbox) -> None:
    made = payment_before_a_crash(payment_method="pm_card_chargeDeclined")
    report = provider.intent_create(made)  # declined; the process died before recording it

    response = webhook_post(client, sandbox.event(report.intent_id or "", FAILED))

    assert response.json()["result"] == "processed"
    assert (payment().status, payment().failure_reason) == (
        PaymentStatus.FAILED,
        "card_declined: generic_decline",
    )
    assert events() == FAILED_EVENTS


def test_a_canceled_authorization_fails_the_payment(
    client: Any, donor_client: Any, donor_pledge: int, sandbox: Sandbox
) -> None:
    payment_post(donor_client, {"pledge_id": 41, "payment_method": "pm_card_visa"})
    intent_id = payment().provider_payment_id or ""
    sandbox.client().v1.payment_intents.cancel(intent_id)

    response = webhook_post(client, sandbox.event(intent_id, "payment_intent.canceled"))

    assert response.json()["result"] == "processed"
    assert (payment().status, payment().failure_reason) == (PaymentStatus.FAILED, "canceled")
    assert events() == AUTHORIZED_EVENTS + FAILED_EVENTS
    assert payment_capture_task(payment_id=payment().pk) is False


def test_an_unknown_intent_is_recorded_and_ignored(client: Any, sandbox: Sandbox) -> None:
    foreign = sandbox.client().v1.payment_intents.create(
        {
            "amount": 700,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "capture_method": "manual",
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        }
    )

    response = webhook_post(client, sandbox.event(foreign.id, AUTHORIZED))

    assert response.status_code == 200
    assert response.json()["result"] == "unknown_intent"
    stored = ProviderEvent.objects.get()
    assert (stored.intent_id, stored.payment_id, stored.result) == (
        foreign.id,
        None,
        "unknown_intent",
    )
    assert written()["outbox"] == 0


@pytest.mark.parametrize("event_type", ["payment_intent.created", "charge.succeeded"])
def test_other_event_types_are_recorded_and_ignored(
    client: Any, sandbox: Sandbox, crashed: str, event_type: str
) -> None:
    charge = sandbox.client().v1.payment_intents.retrieve(crashed).latest_charge
    about = crashed if event_type.startswith("payment_intent.") else str(charge)

    response = webhook_post(client, sandbox.event(about, event_type))

    assert response.json()["result"] == "ignored"
    assert payment().status == PaymentStatus.PROCESSING
    assert ProviderEvent.objects.get().result == ProviderEventResult.IGNORED


def test_an_event_stored_but_not_acted_on_is_acted_on_when_redelivered(
    client: Any, sandbox: Sandbox, crashed: str
) -> None:
    event = sandbox.event(crashed, AUTHORIZED)
    # The process died between storing the event and acting on it: the provider retries.
    ProviderEvent.objects.create(
        event_id=event["id"], event_type=AUTHORIZED, intent_id=crashed, payload=event
    )

    response = webhook_post(client, event)

    assert response.json()["result"] == "processed"
    assert payment().status == PaymentStatus.AUTHORIZED
    assert ProviderEvent.objects.get().result == ProviderEventResult.PROCESSED


@pytest.mark.parametrize(
    "how",
    ["no header", "wrong secret", "stale", "garbage header", "tampered body", "empty"],
)
def test_a_bad_signature_is_400_and_stores_nothing(
    client: Any, sandbox: Sandbox, crashed: str, how: str
) -> None:
    event = sandbox.event(crashed, AUTHORIZED)
    body = json.dumps(event).encode()
    if how == "no header":
        response = webhook_post(client, body, signature=None)
    elif how == "wrong secret":
        response = webhook_post(client, body, secret="whsec_someone_else")
    elif how == "stale":
        response = webhook_post(client, body, at=int(time.time()) - 301)
    elif how == "garbage header":
        response = webhook_post(client, body, signature="t=abc,v1=nothing")
    elif how == "tampered body":
        signed = stripe_signature(body)
        tampered = body.replace(b'"amount": 2500', b'"amount": 1')
        response = webhook_post(client, tampered, signature=signed)
    else:
        response = webhook_post(client, b"", signature="")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert written() == {**NOTHING, "payments": 1, "records": 1}
    assert payment().status == PaymentStatus.PROCESSING


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"id": "evt_1", "type": "x"}'])
def test_a_signed_body_that_is_not_an_event_is_400(client: Any, body: bytes) -> None:
    response = webhook_post(client, body)

    assert response.status_code == 400
    assert ProviderEvent.objects.count() == 0
