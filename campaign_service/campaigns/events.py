"""Events campaign_service publishes: ``CAMPAIGN_CHANGED`` for pledge_service's copy (SPEC §4)."""

from __future__ import annotations

from campaigns.models import Campaign
from careforall_common.contracts.internal import CampaignFactsRead
from careforall_common.contracts.statuses import CAMPAIGN_DELETED
from careforall_common.outbox.services import outbox_publish

# The facts pledge_service keeps: a change to any other field publishes nothing.
PUBLISHED_FIELDS = ("status", "currency", "goal_amount")


def campaign_facts(campaign: Campaign, *, deleted: bool = False) -> CampaignFactsRead:
    """What other services may know of ``campaign``: the event and the internal read's answer."""
    return CampaignFactsRead(
        campaign_id=campaign.pk,
        status=CAMPAIGN_DELETED if deleted else campaign.status,
        currency=campaign.currency,
        goal_amount=campaign.goal_amount,
    )


def campaign_changed(*, campaign: Campaign, deleted: bool = False) -> None:
    """Write ``CAMPAIGN_CHANGED`` for ``campaign`` in the caller's transaction of the change.

    For a deletion, call it before ``delete()``: the event needs the id.
    """
    outbox_publish(campaign_facts(campaign, deleted=deleted))
