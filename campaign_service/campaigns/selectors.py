from __future__ import annotations

from django.db.models import QuerySet

from campaigns.models import Campaign, CampaignStatus, PledgeProjection

# Drafts are staff's work in progress: the public never sees them (SPEC §3).
PUBLIC_STATUSES = [CampaignStatus.ACTIVE, CampaignStatus.CLOSED]


def campaign_list(*, include_drafts: bool, status: str | None = None) -> QuerySet[Campaign]:
    """Return the campaigns a caller may list, optionally of one ``status``; unordered."""
    campaigns = Campaign.objects.all()
    if not include_drafts:
        if status == CampaignStatus.DRAFT:
            return campaigns.none()
        campaigns = campaigns.filter(status__in=PUBLIC_STATUSES)
    if status is not None:
        campaigns = campaigns.filter(status=status)
    return campaigns


def campaign_get(*, campaign_id: int, include_drafts: bool) -> Campaign | None:
    """Return the campaign with this id if the caller may see it, in one query."""
    return campaign_list(include_drafts=include_drafts).filter(pk=campaign_id).first()


def donation_list(*, campaign_id: int, include_drafts: bool) -> QuerySet[PledgeProjection]:
    """Return the campaign's pledges if the caller may see the campaign; unordered.

    The campaign's visibility is a join in the same query, so a page costs one query; an empty
    result leaves the caller to tell an unknown campaign from one with no pledges yet.
    """
    donations = PledgeProjection.objects.filter(campaign_id=campaign_id)
    if not include_drafts:
        donations = donations.filter(campaign__status__in=PUBLIC_STATUSES)
    return donations.only(
        "pledge_id", "amount", "currency", "status", "donor_name", "anonymous", "occurred_at"
    )
