"""Plans made through the real paths: the API, the signed payment events, the scheduler."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from careforall_common.outbox.models import OutboxEvent
from plans.models import Installment, PlanIdempotencyRecord, RecurringPlan
from pledges.models import Pledge
from pledges.tests.factories import envelope, post_events

PLAN_BODY = {"campaign_id": 7, "amount": 1_500, "interval": "month"}
GUEST_PLAN_BODY = {**PLAN_BODY, "donor_name": "Nusrat Jahan", "donor_email": "Nusrat@Example.org"}


def plan_post(client: Any, body: Any, *, key: str | None = "plan-key-1", **extra: Any) -> Any:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post("/api/recurring", body, format="json", headers=headers, **extra)


def first_pledge(plan: RecurringPlan) -> Pledge:
    installment = Installment.objects.get(plan=plan, period=0, attempt=1)
    assert installment.pledge is not None
    return installment.pledge


def payment_outcome(
    client: Any,
    event_type: str,
    pledge: Pledge,
    *,
    occurred_at: datetime | None = None,
    event_id: str | None = None,
    **extra: Any,
) -> str:
    """Deliver ``PAYMENT_CAPTURED`` / ``PAYMENT_FAILED`` of ``pledge``; return its result."""
    payload = {
        "payment_id": 1000 + pledge.pk,
        "pledge_id": pledge.pk,
        "campaign_id": pledge.campaign_id,
        "amount": pledge.amount,
        "currency": pledge.currency,
        **extra,
    }
    if event_type == "PAYMENT_FAILED":
        payload.setdefault("error", "card_declined")
    if event_type == "PAYMENT_CAPTURED":
        payload.setdefault("card_brand", "visa")
        payload.setdefault("card_last4", "4242")
    event = envelope(
        event_type,
        payload,
        aggregate_id=payload["payment_id"],
        event_id=event_id,
        occurred_at=occurred_at,
        source="payment",
    )
    return post_events(client, [event])[event["event_id"]]


def active_plan(
    client: Any, api_client: Any, *, anchor: datetime | None = None, body: Any = None
) -> RecurringPlan:
    """A plan set up by ``api_client`` whose first installment was captured at ``anchor``."""
    response = plan_post(api_client, body or PLAN_BODY, key=f"k-{RecurringPlan.objects.count()}")
    assert response.status_code == 201, response.content
    plan = RecurringPlan.objects.get(pk=response.json()["id"])
    payment_outcome(client, "PAYMENT_CAPTURED", first_pledge(plan), occurred_at=anchor)
    plan.refresh_from_db()
    return plan


def outbox(event_type: str) -> list[OutboxEvent]:
    return list(OutboxEvent.objects.filter(event_type=event_type).order_by("id"))


def written() -> dict[str, int]:
    return {
        "plans": RecurringPlan.objects.count(),
        "installments": Installment.objects.count(),
        "pledges": Pledge.objects.count(),
        "records": PlanIdempotencyRecord.objects.count(),
        "outbox": OutboxEvent.objects.count(),
    }


NOTHING = {"plans": 0, "installments": 0, "pledges": 0, "records": 0, "outbox": 0}
