"""A suspected card tester's authorization is canceled, never captured (SPEC §3): its card had
a run of declines, learned from the provider's events."""

from __future__ import annotations

from typing import Any

import pytest

from careforall_common.contracts.statuses import PaymentStatus
from careforall_common.defence.attempts import card_decline_record
from defence.tests.conftest import delivered, guest_pay
from payments.capture import payment_capture
from payments.models import Payment
from payments.tests.factories import AUTHORIZED_EVENTS, FAILED_EVENTS, Sandbox, events
from payments.tests.fakes import FakePledgeService

pytestmark = pytest.mark.django_db

CAPTURE = "POST /v1/payment_intents/{id}/capture"
CANCEL = "POST /v1/payment_intents/{id}/cancel"


def authorized(client: Any, pledge_service: FakePledgeService) -> tuple[Payment, str]:
    """A guest's authorized payment, and its card's fingerprint at the provider."""
    answer = guest_pay(client, pledge_service, card="pm_card_visa")
    assert answer.json()["status"] == "AUTHORIZED"
    payment = Payment.objects.get(pk=answer.json()["id"])
    return payment, card_of(payment)


def card_of(payment: Payment) -> str:
    from defence.provider import payment_card_fingerprint

    fingerprint = payment_card_fingerprint(payment)
    assert fingerprint
    return fingerprint


def test_an_authorization_of_a_card_with_a_run_of_declines_is_canceled_not_captured(
    defence: Any,
    api_client: Any,
    pledge_service: FakePledgeService,
    sandbox: Sandbox,
    settings: Any,
) -> None:
    settings.PAYMENT_LIMIT_CARD_DECLINES = "3/3600"
    payment, fingerprint = authorized(api_client, pledge_service)
    for _ in range(3):  # say, the same number tried with other expiry dates first
        card_decline_record(fingerprint, code="incorrect_cvc")

    assert payment_capture(payment_id=payment.pk) is True

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_reason == "suspected_card_testing"
    assert events() == AUTHORIZED_EVENTS + FAILED_EVENTS
    assert sandbox.calls(CAPTURE) == 0
    intent = sandbox.client().v1.payment_intents.retrieve(payment.provider_payment_id or "")
    assert (intent.status, intent.cancellation_reason) == ("canceled", "fraudulent")
    # Its webhook, delivered late, keeps the reason.
    delivered(api_client, sandbox, payment.pk, "payment_intent.canceled")
    payment.refresh_from_db()
    assert payment.failure_reason == "suspected_card_testing"
    # Asked again (a retry of the task), nothing more happens.
    assert payment_capture(payment_id=payment.pk) is False
    assert sandbox.calls(CANCEL) == 1


def test_the_cancel_is_the_same_request_on_every_try(
    defence: Any,
    api_client: Any,
    pledge_service: FakePledgeService,
    sandbox: Sandbox,
    settings: Any,
) -> None:
    """The task died after the provider canceled: the retry's cancel is answered with it."""
    from defence.provider import intent_cancel_suspected

    settings.PAYMENT_LIMIT_CARD_DECLINES = "1/3600"
    payment, fingerprint = authorized(api_client, pledge_service)
    card_decline_record(fingerprint, code="card_declined")
    intent_cancel_suspected(payment)  # the first run, which died before recording it

    assert payment_capture(payment_id=payment.pk) is True

    payment.refresh_from_db()
    assert payment.failure_reason == "suspected_card_testing"
    assert sandbox.stats()["idempotency"]["replays"] == 1


def test_a_card_without_declines_is_captured(
    defence: Any, api_client: Any, pledge_service: FakePledgeService, sandbox: Sandbox
) -> None:
    payment, _ = authorized(api_client, pledge_service)

    assert payment_capture(payment_id=payment.pk) is True

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert sandbox.calls(CANCEL) == 0


def test_with_the_limits_off_the_card_is_not_even_looked_up(
    defence: Any,
    api_client: Any,
    pledge_service: FakePledgeService,
    sandbox: Sandbox,
    settings: Any,
) -> None:
    payment, fingerprint = authorized(api_client, pledge_service)
    for _ in range(10):
        card_decline_record(fingerprint, code="card_declined")
    settings.PAYMENT_LIMITS = "off"
    looked_up = sandbox.calls("GET /v1/payment_intents/{id}")

    assert payment_capture(payment_id=payment.pk) is True

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert sandbox.calls("GET /v1/payment_intents/{id}") == looked_up
