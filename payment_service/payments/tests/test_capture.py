"""The capture task (SPEC §3, §5.5): at most one capture per payment, whatever asks."""

from __future__ import annotations

from typing import Any

import pytest

from careforall_common.contracts.statuses import PaymentStatus
from payments import capture, provider
from payments.stripe_client import ProviderRefused, ProviderUnavailable
from payments.tasks import payment_capture_task
from payments.tests.factories import (
    AUTHORIZED_EVENTS,
    CAPTURED_EVENTS,
    FAILED_EVENTS,
    Sandbox,
    events,
    payment,
    payment_post,
)

pytestmark = pytest.mark.django_db

VISA = {"pledge_id": 41, "payment_method": "pm_card_visa"}
CAPTURE = "POST /v1/payment_intents/{id}/capture"


@pytest.fixture
def authorized(donor_client: Any, donor_pledge: int) -> str:
    """An AUTHORIZED payment of pledge 41; returns its intent id."""
    payment_post(donor_client, VISA)
    return payment().provider_payment_id or ""


def test_a_capture_the_provider_made_already_is_recorded_without_a_second_one(
    authorized: str, sandbox: Sandbox
) -> None:
    # A first run of the task captured, then died before recording it.
    sandbox.client().v1.payment_intents.capture(
        authorized, options={"idempotency_key": provider.idempotency_key(payment(), "capture")}
    )

    assert payment_capture_task(payment_id=payment().pk) is True

    assert payment().status == PaymentStatus.CAPTURED
    assert events() == AUTHORIZED_EVENTS + CAPTURED_EVENTS
    assert sandbox.calls(CAPTURE) == 2  # the second was the provider's replay
    assert sandbox.stats()["idempotency"]["replays"] == 1


def test_a_capture_made_under_another_key_is_found_through_the_intent(
    authorized: str, sandbox: Sandbox
) -> None:
    sandbox.client().v1.payment_intents.capture(authorized)  # say, by hand in the dashboard

    assert payment_capture_task(payment_id=payment().pk) is True

    assert payment().status == PaymentStatus.CAPTURED
    assert sandbox.calls(CAPTURE, 200) == 1
    assert sandbox.calls(CAPTURE, 400) == 1  # "unexpected state": already succeeded
    assert events() == AUTHORIZED_EVENTS + CAPTURED_EVENTS


def test_an_authorization_canceled_at_the_provider_fails_the_payment(
    authorized: str, sandbox: Sandbox
) -> None:
    sandbox.client().v1.payment_intents.cancel(authorized)

    assert payment_capture_task(payment_id=payment().pk) is True

    assert (payment().status, payment().failure_reason) == (PaymentStatus.FAILED, "canceled")
    assert events() == AUTHORIZED_EVENTS + FAILED_EVENTS


def test_with_the_provider_down_the_task_raises_for_a_retry(authorized: str, settings: Any) -> None:
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"

    with pytest.raises(ProviderUnavailable):
        capture.payment_capture(payment_id=payment().pk)

    assert payment().status == PaymentStatus.AUTHORIZED


def test_an_intent_the_provider_does_not_know_is_not_retried(
    authorized: str, sandbox: Sandbox
) -> None:
    sandbox.reset()  # the sandbox forgot everything (a restart)

    with pytest.raises(ProviderRefused):
        capture.payment_capture(payment_id=payment().pk)
    assert payment_capture_task(payment_id=payment().pk) is False  # the task gives up quietly

    assert payment().status == PaymentStatus.AUTHORIZED


def test_the_task_retries_provider_outages_with_backoff() -> None:
    assert payment_capture_task.autoretry_for == (ProviderUnavailable,)
    assert payment_capture_task.max_retries == 8
    assert (payment_capture_task.retry_backoff, payment_capture_task.retry_jitter) == (1, True)
    assert payment_capture_task.acks_late is True


def test_only_an_authorized_payment_is_captured(
    donor_client: Any, donor_pledge: int, sandbox: Sandbox, settings: Any
) -> None:
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    payment_post(donor_client, VISA)  # PROCESSING: the provider was down

    assert payment_capture_task(payment_id=payment().pk) is False
    assert payment_capture_task(payment_id=987_654) is False
