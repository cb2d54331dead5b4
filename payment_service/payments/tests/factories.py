"""Test helpers: the sandbox's admin routes, Stripe-signed webhooks, requests, counts."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import requests
import stripe

from careforall_common.contracts.internal import PledgeFactsRead
from careforall_common.idempotency import idempotency_request
from careforall_common.outbox.models import OutboxEvent
from payments import provider
from payments.models import IdempotencyRecord, Payment
from payments.services import payment_create
from provider_events.models import ProviderEvent

# Port 9 (discard) has no listener here: a connection is refused at once.
CLOSED_PORT_URL = "http://127.0.0.1:9"
TEST_QUEUE = "payment-tests"  # the tests' tasks go here (conftest.py), never a running worker's
WEBHOOK_SECRET = "whsec_careforall_local"
API_KEY = "sk_test_careforall"


class Sandbox:
    """The sandbox's ``/_sandbox/*`` routes, and an SDK client of its API."""

    def __init__(self, url: str) -> None:
        self.url = url

    def healthy(self) -> bool:
        try:
            return requests.get(f"{self.url}/_sandbox/health", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def reset(self) -> None:
        requests.post(f"{self.url}/_sandbox/reset", timeout=5).raise_for_status()

    def configure(self, **changes: Any) -> None:
        requests.post(f"{self.url}/_sandbox/config", json=changes, timeout=5).raise_for_status()

    def stats(self) -> dict[str, Any]:
        response = requests.get(f"{self.url}/_sandbox/stats", timeout=5)
        response.raise_for_status()
        stats: dict[str, Any] = response.json()
        return stats

    def intents(self) -> int:
        """How many payment intents the sandbox holds."""
        return int(self.stats()["objects"]["payment_intents"])

    def calls(self, route: str, status: int = 200) -> int:
        """How many requests ``route`` (e.g. ``POST /v1/payment_intents``) answered ``status``."""
        by_route = self.stats()["requests"]["by_route"]
        return int(by_route.get(route, {}).get(str(status), 0))

    def events(self, object_id: str, event_type: str | None = None) -> list[dict[str, Any]]:
        """The events about ``object_id``, oldest first, each with its ``payload``."""
        query = {"object_id": object_id, "payload": "1"}
        if event_type is not None:
            query["type"] = event_type
        response = requests.get(f"{self.url}/_sandbox/events", params=query, timeout=5)
        response.raise_for_status()
        events: list[dict[str, Any]] = response.json()["data"]
        return events

    def event(self, object_id: str, event_type: str) -> dict[str, Any]:
        """The one event of ``event_type`` about ``object_id``, as the provider sends it."""
        (found,) = self.events(object_id, event_type)
        payload: dict[str, Any] = found["payload"]
        return payload

    def flush(self, wait_ms: int = 5_000) -> int:
        response = requests.post(f"{self.url}/_sandbox/flush?wait_ms={wait_ms}", timeout=65)
        response.raise_for_status()
        return int(response.json()["unfinished"])

    def client(self) -> stripe.StripeClient:
        return stripe.StripeClient(API_KEY, base_addresses={"api": self.url})


def payment_post(
    client: Any, body: Any, *, key: str | None = "key-1", raw: bool = False, **extra: Any
) -> Any:
    """POST /api/payments with ``key`` as Idempotency-Key (None: no header)."""
    headers = {"Idempotency-Key": key} if key is not None else {}
    if raw:
        return client.post(
            "/api/payments", body, content_type="application/json", headers=headers, **extra
        )
    return client.post("/api/payments", body, format="json", headers=headers, **extra)


def stripe_signature(body: bytes, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """``Stripe-Signature`` as Stripe computes it: HMAC-SHA256 over ``"<t>.<body>"``."""
    timestamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def webhook_post(
    client: Any, event: dict[str, Any] | bytes, *, signature: str | None = "sign", **sign: Any
) -> Any:
    """POST an event to the webhook, signed with the development secret unless told otherwise.

    ``signature="sign"`` signs the body (with ``sign``'s ``secret``/``at``), None sends no header,
    any other string is sent as the header.
    """
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    headers = {}
    if signature == "sign":
        headers["Stripe-Signature"] = stripe_signature(body, **sign)
    elif signature is not None:
        headers["Stripe-Signature"] = signature
    return client.post(
        "/api/payments/webhook", body, content_type="application/json", headers=headers
    )


def pledge_facts(pledge_id: int = 41, **changes: Any) -> PledgeFactsRead:
    values: dict[str, Any] = {
        "pledge_id": pledge_id,
        "campaign_id": 7,
        "user_id": 2,
        "amount": 2_500,
        "currency": "usd",
        "status": "PENDING",
        "receipt_token_hash": None,
        **changes,
    }
    return PledgeFactsRead(**values)


def payment_before_a_crash(
    pledge_id: int = 41, *, payment_method: str = "pm_card_visa", key: str = "key-1"
) -> Payment:
    """Transaction 1 of ``POST /api/payments`` by user 2, committed; the rest never ran."""
    body = {"pledge_id": pledge_id, "payment_method": payment_method}
    record = payment_create(
        idempotency=idempotency_request(key=key, scope="user:2", body=body),
        pledge=pledge_facts(pledge_id),
        payment_method=payment_method,
    )
    return record.payment


def intent_made_before_a_crash(payment: Payment) -> str:
    """The provider call of the request, made; the process died before transaction 2."""
    report = provider.intent_create(payment)
    assert report.intent_id is not None
    return report.intent_id


def payment(pk: int | None = None) -> Payment:
    return Payment.objects.get() if pk is None else Payment.objects.get(pk=pk)


def events(event_type: str | None = None) -> list[tuple[str, str]]:
    """The outbox rows, as (event type, destination), in order."""
    rows = OutboxEvent.objects.order_by("id")
    if event_type is not None:
        rows = rows.filter(event_type=event_type)
    return [(row.event_type, row.destination) for row in rows]


def written() -> dict[str, int]:
    """How many payments, idempotency records, outbox rows and provider events exist."""
    return {
        "payments": Payment.objects.count(),
        "records": IdempotencyRecord.objects.count(),
        "outbox": OutboxEvent.objects.count(),
        "provider_events": ProviderEvent.objects.count(),
    }


NOTHING = {"payments": 0, "records": 0, "outbox": 0, "provider_events": 0}
AUTHORIZED_EVENTS = [("PAYMENT_AUTHORIZED", "pledge"), ("PAYMENT_AUTHORIZED", "campaign")]
CAPTURED_EVENTS = [("PAYMENT_CAPTURED", "pledge"), ("PAYMENT_CAPTURED", "campaign")]
FAILED_EVENTS = [("PAYMENT_FAILED", "pledge"), ("PAYMENT_FAILED", "campaign")]
