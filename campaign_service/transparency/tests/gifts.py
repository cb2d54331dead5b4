"""Payment events for the log's tests: captures with their commitments, refunds, failures."""

from __future__ import annotations

import hashlib
from typing import Any

from campaigns.models import Campaign
from campaigns.tests.factories import payment_event, payment_refund_failed, payment_refunded
from transparency import tree


def salt(payment_id: int) -> str:
    return hashlib.sha256(f"test salt {payment_id}".encode()).hexdigest()


def capture(
    campaign: Campaign, payment_id: int, amount: int = 1_000, *, commitment: bool = True, **kw: Any
) -> dict[str, Any]:
    # An event of an earlier release has none (its parse gives "").
    extra = {"commitment": tree.commitment(salt(payment_id), payment_id) if commitment else ""}
    return payment_event(
        "PAYMENT_CAPTURED",
        campaign,
        payment_id=payment_id,
        pledge_id=payment_id,
        amount=amount,
        **extra,
        **kw,
    )


def refund(campaign: Campaign, payment_id: int, refund_id: int, amount: int) -> dict[str, Any]:
    return payment_refunded(
        campaign, refund_id=refund_id, pledge_id=payment_id, payment_id=payment_id, amount=amount
    )


def refund_failure(
    campaign: Campaign, payment_id: int, refund_id: int, amount: int
) -> dict[str, Any]:
    return payment_refund_failed(
        campaign, refund_id=refund_id, pledge_id=payment_id, payment_id=payment_id, amount=amount
    )
