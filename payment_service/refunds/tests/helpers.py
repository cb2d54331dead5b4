"""Helpers of the refund tests: a captured payment, the refund API, the sandbox's refund routes."""

from __future__ import annotations

from typing import Any

import requests

from careforall_common.contracts.statuses import PaymentStatus
from careforall_common.outbox.models import OutboxEvent
from payments.models import Payment
from payments.tasks import payment_capture_task
from payments.tests.factories import Sandbox, payment_post

DAY = 86_400  # seconds


def captured(donor_client: Any, pledge_id: int = 41, method: str = "pm_card_visa") -> Payment:
    """A payment of the pledge by user 2, captured (the capture task run here)."""
    body = {"pledge_id": pledge_id, "payment_method": method}
    response = payment_post(donor_client, body, key=f"pay-{pledge_id}")
    assert response.status_code == 201, response.content
    made = Payment.objects.get(pk=response.json()["id"])
    assert payment_capture_task(payment_id=made.pk) is True
    made.refresh_from_db()
    assert made.status == PaymentStatus.CAPTURED
    return made


def refund_post(client: Any, payment_id: int, body: dict[str, Any], key: str = "refund-1") -> Any:
    return client.post(
        f"/api/payments/{payment_id}/refunds", body, format="json", headers={"Idempotency-Key": key}
    )


def outbox_payloads(event_type: str) -> list[dict[str, Any]]:
    """The payloads of ``event_type`` sent to campaign_service (each is also sent to pledges)."""
    rows = OutboxEvent.objects.filter(event_type=event_type, destination="campaign")
    return [row.payload for row in rows.order_by("id")]


def refund_settle(sandbox: Sandbox, refund_id: str, status: str, **extra: Any) -> dict[str, Any]:
    """The bank's answer to a refund, given now (``POST /_sandbox/refunds/{id}/settle``)."""
    response = requests.post(
        f"{sandbox.url}/_sandbox/refunds/{refund_id}/settle",
        json={"status": status, **extra},
        timeout=5,
    )
    response.raise_for_status()
    found: dict[str, Any] = response.json()
    return found


def clock_advance(sandbox: Sandbox, seconds: int) -> None:
    """Move the sandbox's clock (refund dates, the age of idempotency keys) forward."""
    requests.post(
        f"{sandbox.url}/_sandbox/clock/advance", json={"seconds": seconds}, timeout=5
    ).raise_for_status()
