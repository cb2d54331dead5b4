from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import ProtectedError
from rest_framework import serializers

from campaigns.clients.pledges import Released, campaign_held
from campaigns.events import DELETED, PUBLISHED_FIELDS, campaign_changed
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


CURRENCY_REFUSAL = "The currency cannot change once the campaign has pledges."
DELETE_REFUSAL = "A campaign with pledges cannot be deleted."


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

    A currency change is decided on pledge_service's pledges (SPEC §3): the campaign is held
    there (no pledge is made meanwhile) while the change commits. Calls pledge_service for that,
    so never inside a transaction.
    """
    changes = {
        "title": title,
        "description": description,
        "goal_amount": goal_amount,
        "currency": currency,
        "status": status,
    }
    current = Campaign.objects.filter(pk=campaign_id).values_list("currency", flat=True).first()
    if currency is None or current is None or currency == current:
        return _campaign_update(campaign_id=campaign_id, changes=changes, released=None)
    with campaign_held(campaign_id=campaign_id, refusal=CURRENCY_REFUSAL) as released:
        campaign = _campaign_update(campaign_id=campaign_id, changes=changes, released=released)
        released.status, released.currency = campaign.status, campaign.currency
    return campaign


@transaction.atomic(durable=True)
def _campaign_update(
    *, campaign_id: int, changes: dict[str, Any], released: Released | None
) -> Campaign:
    """The row lock orders this against concurrent edits and deletes; the read-model fields are
    never written here (the projector moves them with F-expressions). A change to a published
    fact writes ``CAMPAIGN_CHANGED`` in the same transaction (SPEC §4).
    """
    campaign = _locked(campaign_id)
    refusal = campaign_change_refusal(
        campaign=campaign, status=changes["status"], currency=changes["currency"]
    )
    if refusal is not None:
        raise Problem(409, refusal, campaign_id=campaign.pk)
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
    if released is not None:
        released.in_time()
    return campaign


def campaign_delete(*, campaign_id: int) -> None:
    """Delete a campaign that never took a pledge; 404 if none, 409 otherwise (SPEC §3).

    Decided on pledge_service's pledges, never on the read model, which may lag: the campaign
    is held there (refused when it has pledges; no pledge is made meanwhile) while the deletion
    commits, and stays held for good. Calls pledge_service, so never inside a transaction.
    """
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        raise Problem(404, "No campaign with this id.")
    if campaign.total_pledges:  # the read model never counts a pledge that does not exist
        raise Problem(409, DELETE_REFUSAL, campaign_id=campaign_id)
    with campaign_held(campaign_id=campaign_id, refusal=DELETE_REFUSAL) as released:
        currency = _campaign_delete(campaign_id=campaign_id, released=released)
        released.status, released.currency = DELETED, currency


@transaction.atomic(durable=True)
def _campaign_delete(*, campaign_id: int, released: Released) -> str:
    """Delete the held campaign; return its currency.

    Its projected pledges and payment events protect it too: a payment event can arrive before
    the pledge it pays for.
    """
    campaign = _locked(campaign_id)
    refusal = Problem(409, DELETE_REFUSAL, campaign_id=campaign.pk)
    if campaign.total_pledges:
        raise refusal
    campaign_changed(campaign=campaign, deleted=True)
    try:
        campaign.delete()
    except ProtectedError:
        raise refusal from None
    released.in_time()
    return campaign.currency
