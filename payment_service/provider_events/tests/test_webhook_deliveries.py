"""The sandbox delivering its webhooks to a live server (SPEC §3): disorder as a provider makes it.

The sandbox signs and POSTs every event to ``/api/payments/webhook`` of a running server, with
duplicates and shuffled order on request, retrying until a 2xx; the payment must end where the
provider is, with one event per move.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from careforall_common.contracts.statuses import PaymentStatus
from payments.tasks import payment_capture_task
from payments.tests.factories import (
    AUTHORIZED_EVENTS,
    CAPTURED_EVENTS,
    Sandbox,
    events,
    intent_made_before_a_crash,
    payment,
    payment_before_a_crash,
    payment_post,
)
from provider_events.models import ProviderEvent, ProviderEventResult

pytestmark = pytest.mark.django_db(transaction=True)

VISA = {"pledge_id": 41, "payment_method": "pm_card_visa"}


@pytest.fixture
def deliveries(sandbox: Sandbox, live_server: Any) -> Sandbox:
    """The sandbox delivers to the live server."""
    sandbox.configure(webhook_url=f"{live_server.url}/api/payments/webhook")
    return sandbox


def settled(sandbox: Sandbox) -> None:
    """Wait until every delivery was answered 2xx."""
    assert sandbox.flush(wait_ms=10_000) == 0
    webhooks = sandbox.stats()["webhooks"]
    assert (webhooks["pending"], webhooks["in_flight"], webhooks["failures"]) == (0, 0, 0)


def wait_for(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_duplicated_and_reordered_deliveries_move_the_payment_once(
    donor_client: Any, donor_pledge: int, deliveries: Sandbox
) -> None:
    deliveries.configure(duplicate=2, reorder=True, reorder_window_ms=200)

    created = payment_post(donor_client, VISA)
    assert created.json()["status"] == "AUTHORIZED"
    assert payment_capture_task(payment_id=payment().pk) is True
    settled(deliveries)

    assert payment().status == PaymentStatus.CAPTURED
    assert events() == AUTHORIZED_EVENTS + CAPTURED_EVENTS
    # created, charge.succeeded, amount_capturable_updated, charge.captured, succeeded: each
    # delivered three times, stored once.
    assert ProviderEvent.objects.count() == 5
    assert deliveries.stats()["webhooks"]["delivered"] == 15
    results = set(ProviderEvent.objects.values_list("result", flat=True))
    assert ProviderEventResult.RECEIVED not in results


def test_webhooks_alone_finish_a_payment_whose_request_died(
    donor_client: Any, donor_pledge: int, deliveries: Sandbox
) -> None:
    intent_id = intent_made_before_a_crash(payment_before_a_crash())

    wait_for(lambda: payment().status == PaymentStatus.AUTHORIZED)
    assert payment().provider_payment_id == intent_id
    assert payment_capture_task(payment_id=payment().pk) is True
    settled(deliveries)
    retry = payment_post(donor_client, VISA)

    assert retry.status_code == 201
    assert retry.json()["status"] == "CAPTURED"
    assert events() == AUTHORIZED_EVENTS + CAPTURED_EVENTS
    assert deliveries.intents() == 1
    assert deliveries.calls("POST /v1/payment_intents") == 1  # the retry called nobody


def test_a_capture_reported_first_still_ends_captured(
    donor_client: Any, donor_pledge: int, deliveries: Sandbox
) -> None:
    # The authorization's report is held back until after the capture's.
    deliveries.configure(drop_first=1, retry_base_ms=1_000, retry_cap_ms=1_000)
    intent_id = intent_made_before_a_crash(payment_before_a_crash())
    deliveries.configure(drop_first=0, retry_base_ms=50, retry_cap_ms=500)
    deliveries.client().v1.payment_intents.capture(intent_id)

    wait_for(lambda: payment().status == PaymentStatus.CAPTURED)
    settled(deliveries)

    assert events() == CAPTURED_EVENTS
    stored = dict(ProviderEvent.objects.values_list("event_type", "result"))
    assert stored["payment_intent.succeeded"] == ProviderEventResult.PROCESSED
    assert stored["payment_intent.amount_capturable_updated"] == ProviderEventResult.NO_CHANGE
