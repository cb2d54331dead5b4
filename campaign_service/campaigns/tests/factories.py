"""Test data, made through the ORM (the read-model fields have no service of their own yet)."""

from __future__ import annotations

from typing import Any

from campaigns.models import Campaign, CampaignStatus


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
