"""DELETE /api/campaigns/{id} (SPEC §3): 204 without pledges, 409 with them."""

from __future__ import annotations

from typing import Any

import pytest

from campaigns.models import Campaign
from campaigns.tests.factories import campaign_make, campaign_row

pytestmark = pytest.mark.django_db


def test_staff_deletes_a_campaign_without_pledges(staff_client: Any) -> None:
    campaign = campaign_make()

    response = staff_client.delete(f"/api/campaigns/{campaign.pk}")

    assert response.status_code == 204
    assert response.content == b""
    assert not Campaign.objects.filter(pk=campaign.pk).exists()


def test_campaign_with_pledges_is_409_and_stays(staff_client: Any) -> None:
    campaign = campaign_make(total_pledges=1, failed_amount=500)
    row = campaign_row(campaign)

    response = staff_client.delete(f"/api/campaigns/{campaign.pk}")

    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["campaign_id"] == campaign.pk
    assert campaign_row(campaign) == row


def test_unknown_campaign_is_404(staff_client: Any) -> None:
    response = staff_client.delete("/api/campaigns/999999")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_anonymous_delete_is_401(api_client: Any) -> None:
    campaign = campaign_make()

    response = api_client.delete(f"/api/campaigns/{campaign.pk}")

    assert response.status_code == 401
    assert Campaign.objects.filter(pk=campaign.pk).exists()


def test_donor_delete_is_403(donor_client: Any) -> None:
    campaign = campaign_make()

    response = donor_client.delete(f"/api/campaigns/{campaign.pk}")

    assert response.status_code == 403
    assert Campaign.objects.filter(pk=campaign.pk).exists()


def test_token_signed_with_another_key_is_401(forged_staff_client: Any) -> None:
    campaign = campaign_make()

    response = forged_staff_client.delete(f"/api/campaigns/{campaign.pk}")

    assert response.status_code == 401
    assert Campaign.objects.filter(pk=campaign.pk).exists()
