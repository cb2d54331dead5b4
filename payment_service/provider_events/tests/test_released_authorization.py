"""An authorization released on a payment that never was captured (SPEC §3): the provider
reports the released charge as refunded; that is no refund of a donation, and its webhook is
answered 200 once, never 503 for days."""

from __future__ import annotations

from typing import Any

import pytest

from careforall_common.contracts.statuses import PaymentStatus
from payments.models import Payment
from payments.tests.apis.test_payment_create_browser import AUTHORIZED, FAILED, browser_confirms
from payments.tests.factories import (
    FAILED_EVENTS,
    Sandbox,
    events,
    payment,
    payment_post,
    webhook_post,
)
from provider_events.sweeps import refunds_reconcile
from refunds.models import Refund

pytestmark = pytest.mark.django_db


def released_after_failing(client: Any, donor_client: Any, sandbox: Sandbox) -> Payment:
    """A declined browser payment (FAILED), whose intent a page then confirmed with another card:
    the authorization is released by canceling the intent."""
    body = payment_post(donor_client, {"pledge_id": 41}).json()
    intent_id = body["provider_payment_id"]
    browser_confirms(sandbox, body, "4000000000000002")
    webhook_post(client, sandbox.event(intent_id, FAILED))
    browser_confirms(sandbox, body, "4242424242424242")
    webhook_post(client, sandbox.event(intent_id, AUTHORIZED))  # cancels the intent
    assert sandbox.client().v1.payment_intents.retrieve(intent_id).status == "canceled"
    return payment()


def test_the_charge_refunded_of_a_released_authorization_is_answered_and_not_counted(
    client: Any, donor_client: Any, donor_pledge: int, sandbox: Sandbox
) -> None:
    made = released_after_failing(client, donor_client, sandbox)
    intent = sandbox.client().v1.payment_intents.retrieve(made.provider_payment_id or "")
    (refunded,) = sandbox.events(str(intent.latest_charge), "charge.refunded")

    answers = [webhook_post(client, refunded["payload"]) for _ in range(2)]

    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json()["result"] in ("ignored", "no_change")
    assert refunds_reconcile() == 0
    made = payment(made.pk)
    assert (made.status, made.refunded_amount) == (PaymentStatus.FAILED, 0)
    assert Refund.objects.count() == 0
    assert events() == FAILED_EVENTS


def test_a_released_authorization_is_not_counted_even_when_the_provider_is_down(
    client: Any, donor_client: Any, donor_pledge: int, sandbox: Sandbox, settings: Any
) -> None:
    made = released_after_failing(client, donor_client, sandbox)
    intent = sandbox.client().v1.payment_intents.retrieve(made.provider_payment_id or "")
    (refunded,) = sandbox.events(str(intent.latest_charge), "charge.refunded")
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"

    answer = webhook_post(client, refunded["payload"])

    assert answer.status_code == 200
    assert Refund.objects.count() == 0
