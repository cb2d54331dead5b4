"""What pledges look like from outside: plain dicts, built once, since reads are the hot path."""

from __future__ import annotations

from typing import Any

from careforall_common.contracts.internal import PledgeFactsRead
from careforall_common.timestamps import timestamp
from pledges.models import Pledge


def pledge_output(pledge: Pledge) -> dict[str, Any]:
    """Return the ``Pledge`` of SPEC §3 (never the donor's email)."""
    return {
        "id": pledge.pk,
        "campaign_id": pledge.campaign_id,
        "user_id": pledge.user_id,
        "donor_name": pledge.donor_name,
        "anonymous": pledge.anonymous,
        "amount": pledge.amount,
        "currency": pledge.currency,
        "status": pledge.status,
        "refunded_amount": pledge.refunded_amount,
        "plan_id": pledge.plan_id,
        "created_at": timestamp(pledge.created_at),
        "updated_at": timestamp(pledge.updated_at),
    }


def pledge_internal_output(pledge: Pledge) -> dict[str, Any]:
    """What payment_service reads about a pledge (``GET /internal/pledges/{id}``)."""
    return PledgeFactsRead(
        pledge_id=pledge.pk,
        campaign_id=pledge.campaign_id,
        user_id=pledge.user_id,
        amount=pledge.amount,
        currency=pledge.currency,
        status=pledge.status,
        receipt_token_hash=pledge.receipt_token_hash,
        donor_email=pledge.donor_email if pledge.user_id is None else "",
    ).to_dict()
