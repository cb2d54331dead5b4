"""The public shapes of SPEC §3, rendered as plain dicts: reads are the hot path.

Shared by the API and the gateway's cache (``campaigns.cache``), which stores exactly the API's
body.
"""

from __future__ import annotations

from typing import Any

from campaigns.models import Campaign, PledgeProjection
from careforall_common.timestamps import timestamp

ANONYMOUS_DONOR_NAME = "Anonymous"


def campaign_output(campaign: Campaign) -> dict[str, Any]:
    """Return the ``Campaign`` of SPEC §3."""
    return {
        "id": campaign.pk,
        "title": campaign.title,
        "description": campaign.description,
        "goal_amount": campaign.goal_amount,
        "currency": campaign.currency,
        "status": campaign.status,
        "created_at": timestamp(campaign.created_at),
        "updated_at": timestamp(campaign.updated_at),
        "pending_amount": campaign.pending_amount,
        "authorized_amount": campaign.authorized_amount,
        "captured_amount": campaign.captured_amount,
        "failed_amount": campaign.failed_amount,
        "refunded_amount": campaign.refunded_amount,
        "current_amount": campaign.current_amount,
        "total_pledges": campaign.total_pledges,
        "total_payments": campaign.total_payments,
        "active_plans": campaign.active_plans,
        "monthly_recurring_amount": campaign.monthly_recurring_amount,
    }


def donation_output(donation: PledgeProjection) -> dict[str, Any]:
    """Return the ``Donation`` of SPEC §3: never an email or a user id."""
    return {
        "pledge_id": donation.pledge_id,
        "amount": donation.amount,
        "currency": donation.currency,
        "status": donation.status,
        "donor_name": ANONYMOUS_DONOR_NAME if donation.anonymous else donation.donor_name,
        "occurred_at": timestamp(donation.occurred_at),
    }
