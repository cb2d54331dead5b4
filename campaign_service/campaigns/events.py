"""Events campaign_service publishes: ``CAMPAIGN_CHANGED`` for pledge_service's copy (SPEC §4)."""

from __future__ import annotations

from typing import Any

from campaigns.models import Campaign
from careforall_common.events import CampaignChanged
from careforall_common.outbox.services import outbox_publish

DELETED = "deleted"  # the status a deleted campaign's last event carries

# The facts pledge_service keeps: a change to any other field publishes nothing.
PUBLISHED_FIELDS = ("status", "currency", "goal_amount")


def campaign_facts(campaign: Campaign) -> dict[str, Any]:
    """Return what other services may know of ``campaign``: the event payload and internal read."""
    return {
        "campaign_id": campaign.pk,
        "status": campaign.status,
        "currency": campaign.currency,
        "goal_amount": campaign.goal_amount,
    }


def campaign_changed(*, campaign: Campaign, deleted: bool = False) -> None:
    """Write ``CAMPAIGN_CHANGED`` for ``campaign`` in the caller's transaction of the change.

    For a deletion, call it before ``delete()``: the event needs the id.
    """
    outbox_publish(
        CampaignChanged(
            campaign_id=campaign.pk,
            status=DELETED if deleted else campaign.status,
            currency=campaign.currency,
            goal_amount=campaign.goal_amount,
        )
    )
