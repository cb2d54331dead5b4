"""Test data, made through the real paths: signed events into the inbox, pledges by the API."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from careforall_common import signing
from careforall_common.outbox.models import OutboxEvent
from pledges.campaign_facts import campaign_facts_cache_clear
from pledges.models import IdempotencyRecord, Pledge

# Port 9 (discard) has no listener here: a connection is refused at once.
CLOSED_PORT_URL = "http://127.0.0.1:9"

SIGNED_IN_BODY = {"campaign_id": 7, "amount": 2_500}
GUEST_BODY = {
    "campaign_id": 7,
    "amount": 2_500,
    "donor_name": "Rahim Uddin",
    "donor_email": "Rahim@Example.org",
}


def sign(message: bytes, *, secret: str | None = None, timestamp: int | None = None) -> str:
    return signing.sign(
        message,
        secret=secret or settings.CAREFORALL["INTERNAL_EVENT_SECRET"],
        timestamp=timestamp,
    )


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


def envelope(
    event_type: str,
    payload: dict[str, Any],
    *,
    aggregate_id: int,
    event_id: str | None = None,
    occurred_at: datetime | None = None,
    source: str = "test",
) -> dict[str, Any]:
    when = occurred_at or datetime.now(tz=UTC)
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "event_type": event_type,
        "event_version": 1,
        "occurred_at": when.isoformat().replace("+00:00", "Z"),
        "source": source,
        "aggregate_id": aggregate_id,
        "request_id": "test",
        "payload": payload,
    }


def campaign_changed(
    client: Any,
    *,
    campaign_id: int,
    status: str = "active",
    currency: str = "usd",
    occurred_at: datetime | None = None,
) -> str:
    """Deliver a signed ``CAMPAIGN_CHANGED``; return its result."""
    event = envelope(
        "CAMPAIGN_CHANGED",
        {"campaign_id": campaign_id, "status": status, "currency": currency, "goal_amount": 1000},
        aggregate_id=campaign_id,
        occurred_at=occurred_at,
        source="campaign",
    )
    result = post_events(client, [event])[event["event_id"]]
    # The handler evicts this process's cached copy on commit, which a test transaction never
    # reaches; other processes see the change when their copy expires (docs/pledges.md).
    campaign_facts_cache_clear()
    return result


def payment_event(
    client: Any, event_type: str, pledge: Pledge, *, event_id: str | None = None, **overrides: Any
) -> str:
    """Deliver a signed ``PAYMENT_*`` event about ``pledge``; return its result."""
    payload = {
        "payment_id": 1,
        "pledge_id": pledge.pk,
        "campaign_id": pledge.campaign_id,
        "amount": pledge.amount,
        "currency": pledge.currency,
        **overrides,
    }
    if event_type == "PAYMENT_FAILED":
        payload.setdefault("error", "card_declined")
    event = envelope(event_type, payload, aggregate_id=1, event_id=event_id, source="payment")
    return post_events(client, [event])[event["event_id"]]


def pledge_post(
    client: Any, body: Any, *, key: str | None = "key-1", raw: bool = False, **extra: Any
) -> Any:
    """POST /api/pledges with ``key`` as Idempotency-Key (None: no header)."""
    headers = {"Idempotency-Key": key} if key is not None else {}
    if raw:
        return client.post(
            "/api/pledges", body, content_type="application/json", headers=headers, **extra
        )
    return client.post("/api/pledges", body, format="json", headers=headers, **extra)


def signed_get(client: Any, path: str, **extra: Any) -> Any:
    return client.get(path, headers={signing.HEADER: sign(path.encode())}, **extra)


def written() -> dict[str, int]:
    """How many pledges, idempotency records and outbox rows exist."""
    return {
        "pledges": Pledge.objects.count(),
        "records": IdempotencyRecord.objects.count(),
        "outbox": OutboxEvent.objects.count(),
    }


NOTHING = {"pledges": 0, "records": 0, "outbox": 0}
