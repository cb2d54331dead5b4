"""Helpers of saved_cards' tests: pledge_service's signed calls and events, plans with a card."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import requests
from django.conf import settings

from careforall_common import signing
from payments.capture import payment_capture
from payments.models import Payment
from payments.tests.factories import Sandbox
from saved_cards.models import PlanCard
from saved_cards.services.cards import plan_card_record

PLAN = 4
FIRST_PLEDGE = 41


def sign(body: bytes) -> str:
    return signing.sign(body, secret=settings.CAREFORALL["INTERNAL_EVENT_SECRET"])


def internal_post(client: Any, path: str, payload: dict[str, Any]) -> Any:
    """What pledge_service's client sends: a signed JSON body."""
    body = json.dumps(payload).encode()
    return client.post(
        path, data=body, content_type="application/json", headers={signing.HEADER: sign(body)}
    )


def first_payment_body(pledge_id: int = FIRST_PLEDGE, **changes: Any) -> dict[str, Any]:
    return {
        "plan_id": PLAN,
        "pledge_id": pledge_id,
        "campaign_id": 7,
        "user_id": 2,
        "amount": 2_500,
        "currency": "usd",
        "receipt_token_hash": None,
        "donor_email": "ada@example.org",
        "donor_name": "Ada",
        **changes,
    }


def first_payment_post(client: Any, **changes: Any) -> Any:
    return internal_post(client, "/internal/plans/first-payment", first_payment_body(**changes))


def post_events(client: Any, events: list[dict[str, Any]]) -> dict[str, str]:
    """POST a signed batch to ``/internal/events``; return each event's result by id."""
    body = json.dumps({"events": events}).encode()
    response = client.post(
        "/internal/events",
        data=body,
        content_type="application/json",
        headers={signing.HEADER: sign(body)},
    )
    assert response.status_code == 200, response.content
    return {item["event_id"]: item["status"] for item in response.json()["results"]}


def installment_due(pledge_id: int = 42, *, period: int = 1, **changes: Any) -> dict[str, Any]:
    """The ``INSTALLMENT_DUE`` envelope pledge_service sends."""
    payload = {
        "plan_id": PLAN,
        "pledge_id": pledge_id,
        "campaign_id": 7,
        "user_id": 2,
        "amount": 2_500,
        "currency": "usd",
        "period": period,
        "attempt": 1,
        **changes,
    }
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": "INSTALLMENT_DUE",
        "event_version": 1,
        "occurred_at": datetime.now(tz=UTC).isoformat().replace("+00:00", "Z"),
        "source": "pledge",
        "aggregate_id": payload["plan_id"],
        "request_id": "test",
        "payload": payload,
    }


def complete_3ds(sandbox: Sandbox, intent: Any) -> None:
    """The donor passes the bank's 3-D Secure challenge of ``intent`` (Payment- or SetupIntent)."""
    challenge = intent["next_action"]["use_stripe_sdk"]["stripe_js"]
    requests.post(f"{sandbox.url}{challenge}/complete", timeout=5).raise_for_status()


def plan_with_card(client: Any, payment_method: str = "pm_card_visa") -> PlanCard:
    """A plan whose first payment (server-confirmed) was captured and its card recorded."""
    response = first_payment_post(client, payment_method=payment_method)
    assert response.status_code == 201, response.content
    first = Payment.objects.get(pk=response.json()["id"])
    assert payment_capture(payment_id=first.pk)
    assert plan_card_record(payment_id=first.pk)
    return PlanCard.objects.get(plan_id=PLAN)


def intents_of(sandbox: Sandbox, customer: str) -> list[Any]:
    """The customer's PaymentIntents at the provider, newest first."""
    return list(sandbox.client().v1.payment_intents.list({"customer": customer, "limit": 100}))


def card_set_up_with_3ds(sandbox: Sandbox, card: PlanCard, payment_method: str) -> PlanCard:
    """The donor replaces the plan's card with one the bank authenticates (a SetupIntent the
    browser confirms, 3-D Secure passed); the webhook's work is done."""
    from saved_cards.services.cards import setup_intent_record

    setup = sandbox.client().v1.setup_intents.create(
        {
            "customer": card.customer,
            "payment_method": payment_method,
            "confirm": True,
            "usage": "off_session",
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        }
    )
    complete_3ds(sandbox, setup.to_dict())
    assert setup_intent_record(setup_intent_id=setup.id)
    return PlanCard.objects.get(pk=card.pk)
