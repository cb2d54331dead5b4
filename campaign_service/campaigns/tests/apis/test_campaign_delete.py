"""DELETE /api/campaigns/{id} (SPEC §3): 204 without pledges, 409 with them."""

from __future__ import annotations

from typing import Any

import pytest

from campaigns.models import Campaign
from campaigns.tests.conftest import PledgeHoldsStandIn
from campaigns.tests.factories import campaign_make, campaign_row

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pledge_holds")]


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


def test_a_pledge_the_read_model_has_not_seen_yet_keeps_the_campaign(
    staff_client: Any, pledge_holds: PledgeHoldsStandIn
) -> None:
    campaign = campaign_make()  # total_pledges 0: the pledge's event is still on its way
    pledge_holds.with_pledges.add(campaign.pk)

    response = staff_client.delete(f"/api/campaigns/{campaign.pk}")

    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert Campaign.objects.filter(pk=campaign.pk).exists()
    assert pledge_holds.calls == [("hold", {"campaign_id": campaign.pk})]


def test_a_deletion_is_held_in_pledge_service_and_released_as_deleted(
    staff_client: Any, pledge_holds: PledgeHoldsStandIn, django_capture_on_commit_callbacks: Any
) -> None:
    campaign = campaign_make(currency="eur")

    # The release follows the commit.
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.delete(f"/api/campaigns/{campaign.pk}")

    assert pledge_holds.calls == [
        ("hold", {"campaign_id": campaign.pk}),
        ("release", {"campaign_id": campaign.pk, "status": "deleted", "currency": "eur"}),
    ]


def test_pledge_service_not_answering_is_503_and_the_campaign_stays(
    staff_client: Any, pledge_holds: PledgeHoldsStandIn
) -> None:
    campaign = campaign_make()
    pledge_holds.answer = 500

    response = staff_client.delete(f"/api/campaigns/{campaign.pk}")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert Campaign.objects.filter(pk=campaign.pk).exists()
