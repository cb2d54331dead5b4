"""Test data: campaigns through the ORM, events as pledge_service and payment_service send them."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from campaigns.models import Campaign
from careforall_common.contracts.statuses import CampaignStatus

CREATED_AT = "2025-03-01T12:00:00Z"


def campaign_make(**fields: Any) -> Campaign:
    """Create a campaign; ``fields`` override the defaults, read-model fields included."""
    values: dict[str, Any] = {
        "title": "Clean water for Sylhet",
        "description": "Tube wells for three villages.",
        "goal_amount": 500_000,
        "currency": "usd",
        "status": CampaignStatus.ACTIVE,
        **fields,
    }
    return Campaign.objects.create(**values)


def campaign_row(campaign: Campaign) -> dict[str, Any]:
    """Return the stored row of ``campaign``, to compare before and after a refused write."""
    return dict(Campaign.objects.values().get(pk=campaign.pk))


def envelope(
    event_type: str,
    payload: dict[str, Any],
    *,
    aggregate_id: int,
    source: str = "pledge",
    occurred_at: str = "2025-03-01T12:05:00Z",
) -> dict[str, Any]:
    """Return an event as the relay delivers it (SPEC §4), with a fresh event id."""
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "event_version": 1,
        "occurred_at": occurred_at,
        "source": source,
        "aggregate_id": aggregate_id,
        "request_id": "test-request",
        "payload": payload,
    }


def pledge_payload(
    campaign: Campaign | int,
    *,
    pledge_id: int,
    amount: int = 1_000,
    status: str = "PENDING",
    donor_name: str = "Ada Lovelace",
    anonymous: bool = False,
    created_at: str = CREATED_AT,
    currency: str = "usd",
    user_id: int | None = 7,
) -> dict[str, Any]:
    """Return a pledge as pledge_service describes it, in ``PLEDGE_CREATED`` and its list."""
    return {
        "pledge_id": pledge_id,
        "campaign_id": campaign if isinstance(campaign, int) else campaign.pk,
        "user_id": user_id,
        "donor_name": donor_name,
        "anonymous": anonymous,
        "amount": amount,
        "currency": currency,
        "status": status,
        "created_at": created_at,
    }


def pledge_created(campaign: Campaign | int, **fields: Any) -> dict[str, Any]:
    payload = pledge_payload(campaign, **fields)
    return envelope("PLEDGE_CREATED", payload, aggregate_id=payload["pledge_id"])


def status_changed(
    campaign: Campaign | int,
    *,
    pledge_id: int,
    new_status: str,
    amount: int = 1_000,
    previous_status: str = "PENDING",
    currency: str = "usd",
) -> dict[str, Any]:
    payload = {
        "pledge_id": pledge_id,
        "campaign_id": campaign if isinstance(campaign, int) else campaign.pk,
        "previous_status": previous_status,
        "new_status": new_status,
        "amount": amount,
        "currency": currency,
    }
    return envelope("PLEDGE_STATUS_CHANGED", payload, aggregate_id=pledge_id)


def payment_event(
    event_type: str,
    campaign: Campaign,
    *,
    payment_id: int,
    pledge_id: int,
    amount: int = 1_000,
    **extra: Any,
) -> dict[str, Any]:
    if event_type == "PAYMENT_CAPTURED":  # as this release publishes it: with a commitment
        extra.setdefault(
            "commitment", hashlib.sha256(f"{payment_id}:{payment_id}".encode()).hexdigest()
        )
    payload = {
        "payment_id": payment_id,
        "pledge_id": pledge_id,
        "campaign_id": campaign.pk,
        "amount": amount,
        "currency": "usd",
        **extra,
    }
    return envelope(event_type, payload, aggregate_id=payment_id, source="payment")


def payment_refunded(
    campaign: Campaign,
    *,
    refund_id: int,
    pledge_id: int,
    amount: int,
    total: int | None = None,
    payment_id: int | None = None,
) -> dict[str, Any]:
    """``PAYMENT_REFUNDED`` of one refund; by default the payment's first (total = amount)."""
    return payment_event(
        "PAYMENT_REFUNDED",
        campaign,
        payment_id=pledge_id if payment_id is None else payment_id,
        pledge_id=pledge_id,
        amount=amount,
        refund_id=refund_id,
        refunded_total=amount if total is None else total,
    )


def payment_refund_failed(
    campaign: Campaign,
    *,
    refund_id: int,
    pledge_id: int,
    amount: int,
    total: int = 0,
    payment_id: int | None = None,
) -> dict[str, Any]:
    """``PAYMENT_REFUND_FAILED`` of one refund; ``total``: the payment's refunds without it."""
    return payment_event(
        "PAYMENT_REFUND_FAILED",
        campaign,
        payment_id=pledge_id if payment_id is None else payment_id,
        pledge_id=pledge_id,
        amount=amount,
        refund_id=refund_id,
        refunded_total=total,
    )


def plan_changed(
    campaign: Campaign | int,
    *,
    plan_id: int,
    status: str = "active",
    amount: int = 1_000,
    interval: str = "month",
    currency: str = "usd",
    occurred_at: str = "2025-03-01T12:05:00Z",
    **ignored: Any,
) -> dict[str, Any]:
    """``PLAN_CHANGED``: the plan as it is at ``occurred_at`` (``ignored``: other keys of a
    plan as pledge_service's internal read answers it)."""
    payload = {
        "plan_id": plan_id,
        "campaign_id": campaign if isinstance(campaign, int) else campaign.pk,
        "status": status,
        "amount": amount,
        "currency": currency,
        "interval": interval,
    }
    return envelope("PLAN_CHANGED", payload, aggregate_id=plan_id, occurred_at=occurred_at)


# The status changes that take a new pledge to each status, in order.
PATHS = {
    "PENDING": [],
    "AUTHORIZED": ["AUTHORIZED"],
    "CAPTURED": ["AUTHORIZED", "CAPTURED"],
    "FAILED": ["FAILED"],
    "REFUNDED": ["AUTHORIZED", "CAPTURED", "REFUNDED"],
}


def pledge_events(pledge: dict[str, Any], *, path: list[str] | None = None) -> list[dict[str, Any]]:
    """Return the events pledge_service publishes for ``pledge`` (a ``pledge_payload``), in order.

    ``path`` is the status changes after PENDING, by default the shortest to its status.
    """
    events = [pledge_created(pledge["campaign_id"], **{**_fields(pledge), "status": "PENDING"})]
    previous = "PENDING"
    for status in PATHS[pledge["status"]] if path is None else path:
        events.append(
            status_changed(
                pledge["campaign_id"],
                pledge_id=pledge["pledge_id"],
                new_status=status,
                previous_status=previous,
                amount=pledge["amount"],
                currency=pledge["currency"],
            )
        )
        previous = status
    return events


def _fields(pledge: dict[str, Any]) -> dict[str, Any]:
    # The list's refunded_amount is no field of PLEDGE_CREATED.
    return {k: v for k, v in pledge.items() if k not in ("campaign_id", "refunded_amount")}
