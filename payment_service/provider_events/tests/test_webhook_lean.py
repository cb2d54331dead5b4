"""The webhook's POST answered without DRF (provider_events.apis) and its rows written in plain
SQL (provider_events.services): the same answers, byte for byte, and the same rows."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from payments.tests.factories import stripe_signature
from provider_events.apis import accepts_json
from provider_events.models import ProviderEvent, ProviderEventResult

pytestmark = pytest.mark.django_db

WEBHOOK = "/api/payments/webhook"
THROUGH_DRF = WEBHOOK + "?through=drf"  # a query string: DRF answers, as it always did


def event(event_type: str = "charge.succeeded", event_id: str | None = None) -> bytes:
    found: dict[str, Any] = {
        "id": f"ch_{uuid.uuid4().hex}",
        "object": "charge",
        "payment_intent": "pi_nobody",
    }
    if event_type.startswith("payment_intent."):
        found = {"id": "pi_nobody", "object": "payment_intent", "status": "succeeded"}
        found |= {"amount": 2500, "currency": "usd", "metadata": {}}
    body = {"id": event_id or f"evt_{uuid.uuid4().hex}", "type": event_type}
    return json.dumps(body | {"data": {"object": found}}).encode()


def delivered(client: Any, url: str, body: bytes, **headers: str) -> tuple[Any, ...]:
    headers.setdefault("Stripe-Signature", stripe_signature(body))
    response = client.post(url, body, content_type="application/json", headers=headers)
    kept = {name: value for name, value in response.headers.items() if name != "X-Request-Id"}
    return response.status_code, kept, response.content


def both(client: Any, make: Any, **headers: str) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    return delivered(client, WEBHOOK, make(), **headers), delivered(
        client, THROUGH_DRF, make(), **headers
    )


@pytest.mark.parametrize(
    ("make", "headers", "status"),
    [
        (lambda: event("charge.succeeded"), {}, 200),  # ignored
        (lambda: event("payment_intent.succeeded"), {}, 200),  # unknown_intent
        (lambda: event("charge.refunded"), {}, 200),  # unknown_intent, through _money_back
        (lambda: event(), {"Stripe-Signature": "t=1,v1=00"}, 400),
        (lambda: event(), {"Stripe-Signature": "é"}, 400),
        (lambda: b"[1, 2]", {}, 400),  # signed, not an event
        (lambda: event(), {"Accept": "application/xml, */*;q=0.5"}, 200),
        (lambda: event(), {"Accept": "text/html"}, 406),  # DRF's answer, both ways
    ],
)
def test_each_answer_is_drf_s(client: Any, make: Any, headers: dict[str, str], status: int) -> None:
    lean, drf = both(client, make, **headers)

    assert lean == drf
    assert lean[0] == status


def test_a_duplicate_is_answered_alike(client: Any) -> None:
    body = event()
    delivered(client, WEBHOOK, body)

    assert delivered(client, WEBHOOK, body) == delivered(client, THROUGH_DRF, body)
    assert json.loads(delivered(client, WEBHOOK, body)[2])["result"] == "duplicate"


@pytest.mark.parametrize(
    "accept",
    [
        "*/*",
        "*/*; q=0.5, application/xml",
        "application/json",
        "Application/JSON; charset=utf-8",
        "application/*",
        "application/json;q=0",
        "text/html",
        "text/html, application/xhtml+xml",
        "application/xml",
        "",
        " ",
        ",",
        "json",
        "*/json",
        "text/*",
        "application/jsonx",
        'application/json; x="a,b"',
    ],
)
def test_json_is_accepted_exactly_when_drf_negotiates_it(accept: str) -> None:
    request = Request(APIRequestFactory().post(WEBHOOK, HTTP_ACCEPT=accept))
    try:
        DefaultContentNegotiation().select_renderer(request, [JSONRenderer()])
        drf = True
    except NotAcceptable:
        drf = False

    # A header with quotes goes to DRF whatever it holds: never answered otherwise.
    assert accepts_json(accept) == drf or ('"' in accept and not accepts_json(accept))


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_each_row_is_committed_as_the_orm_wrote_it(client: Any) -> None:
    body = event("payment_intent.succeeded")

    first = delivered(client, WEBHOOK, body)
    again = delivered(client, WEBHOOK, body)

    assert json.loads(first[2])["result"] == "unknown_intent"
    assert json.loads(again[2])["result"] == "duplicate"
    stored = ProviderEvent.objects.get()
    assert stored.payload == json.loads(body)
    assert (stored.event_type, stored.intent_id, stored.payment_id) == (
        "payment_intent.succeeded",
        "pi_nobody",
        None,
    )
    assert stored.result == ProviderEventResult.UNKNOWN_INTENT
    assert stored.processed_at is not None
    assert stored.received_at <= stored.processed_at
