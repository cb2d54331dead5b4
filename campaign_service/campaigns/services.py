from __future__ import annotations

from django.db import transaction
from django.db.models import ProtectedError
from rest_framework import serializers

from campaigns.events import PUBLISHED_FIELDS, campaign_changed
from campaigns.models import Campaign, CampaignStatus
from careforall_common.problems import Problem

# SPEC §3: draft → active, active → closed, draft → closed; closed is final.
ALLOWED_TRANSITIONS = {
    CampaignStatus.DRAFT: {CampaignStatus.ACTIVE, CampaignStatus.CLOSED},
    CampaignStatus.ACTIVE: {CampaignStatus.CLOSED},
    CampaignStatus.CLOSED: set(),
}

EDITABLE_FIELDS = ["title", "description", "goal_amount", "currency", "status"]


def campaign_change_refusal(
    *, campaign: Campaign, status: str | None = None, currency: str | None = None
) -> str | None:
    """Return why ``campaign`` may not take this status or currency, or None when it may.

    The same status or currency is always allowed (a no-op). Shared by the API and the admin.
    """
    allowed = ALLOWED_TRANSITIONS[CampaignStatus(campaign.status)]
    if status is not None and status != campaign.status and status not in allowed:
        return f"A campaign cannot move from {campaign.status} to {status}."
    if currency is not None and currency != campaign.currency and campaign.total_pledges:
        return "The currency cannot change once the campaign has pledges."
    return None


def _locked(campaign_id: int) -> Campaign:
    campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
    if campaign is None:
        raise Problem(404, "No campaign with this id.")
    return campaign


@transaction.atomic(durable=True)
def campaign_create(
    *,
    title: str,
    description: str,
    goal_amount: int,
    currency: str = "usd",
    status: str = CampaignStatus.DRAFT,
) -> Campaign:
    """Create a campaign, a draft unless told ``active`` (SPEC §3)."""
    if status not in (CampaignStatus.DRAFT, CampaignStatus.ACTIVE):
        raise serializers.ValidationError({"status": [f"A campaign cannot start {status}."]})
    campaign = Campaign.objects.create(
        title=title,
        description=description,
        goal_amount=goal_amount,
        currency=currency,
        status=status,
    )
    campaign_changed(campaign=campaign)
    return campaign


@transaction.atomic(durable=True)
def campaign_update(
    *,
    campaign_id: int,
    title: str | None = None,
    description: str | None = None,
    goal_amount: int | None = None,
    currency: str | None = None,
    status: str | None = None,
) -> Campaign:
    """Change the given fields; 404 if none, 409 on a refused status move or currency change.

    The row lock orders this against concurrent edits and deletes; the read-model fields are
    never written here (the projector moves them with F-expressions). A change to a published
    fact writes ``CAMPAIGN_CHANGED`` in the same transaction (SPEC §4).
    """
    campaign = _locked(campaign_id)
    refusal = campaign_change_refusal(campaign=campaign, status=status, currency=currency)
    if refusal is not None:
        raise Problem(409, refusal, campaign_id=campaign.pk)
    changes = {
        "title": title,
        "description": description,
        "goal_amount": goal_amount,
        "currency": currency,
        "status": status,
    }
    changed = [
        field
        for field, value in changes.items()
        if value is not None and value != getattr(campaign, field)
    ]
    if changed:
        for field in changed:
            setattr(campaign, field, changes[field])
        campaign.save(update_fields=[*changed, "updated_at"])
    if any(field in PUBLISHED_FIELDS for field in changed):
        campaign_changed(campaign=campaign)
    return campaign


@transaction.atomic(durable=True)
def campaign_delete(*, campaign_id: int) -> None:
    """Delete a campaign that has no pledges; 404 if none, 409 if it has pledges (SPEC §3).

    Its projected pledges and payment events protect it too: a payment event can arrive before
    the pledge it pays for.
    """
    campaign = _locked(campaign_id)
    refusal = Problem(409, "A campaign with pledges cannot be deleted.", campaign_id=campaign.pk)
    if campaign.total_pledges:
        raise refusal
    campaign_changed(campaign=campaign, deleted=True)
    try:
        campaign.delete()
    except ProtectedError:
        raise refusal from None
