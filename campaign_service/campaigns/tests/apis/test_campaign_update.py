"""PATCH /api/campaigns/{id} (SPEC §3): staff edits and the status state machine."""

from __future__ import annotations

from typing import Any

import pytest

from campaigns.models import Campaign
from campaigns.tests.conftest import PledgeHoldsStandIn
from campaigns.tests.factories import campaign_make, campaign_row

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pledge_holds")]


def patch(client: Any, campaign: Campaign, body: Any) -> Any:
    return client.patch(f"/api/campaigns/{campaign.pk}", body, format="json")


@pytest.mark.parametrize(
    ("before", "after"), [("draft", "active"), ("active", "closed"), ("draft", "closed")]
)
def test_legal_transitions(staff_client: Any, before: str, after: str) -> None:
    campaign = campaign_make(status=before)

    response = patch(staff_client, campaign, {"status": after})

    assert response.status_code == 200
    assert response.json()["status"] == after
    assert Campaign.objects.get(pk=campaign.pk).status == after


@pytest.mark.parametrize(
    ("before", "after"), [("closed", "active"), ("closed", "draft"), ("active", "draft")]
)
def test_illegal_transitions_are_409_and_change_nothing(
    staff_client: Any, before: str, after: str
) -> None:
    campaign = campaign_make(status=before)
    row = campaign_row(campaign)

    response = patch(staff_client, campaign, {"status": after, "title": "Renamed"})

    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == f"A campaign cannot move from {before} to {after}."
    assert response.json()["campaign_id"] == campaign.pk
    assert campaign_row(campaign) == row


@pytest.mark.parametrize("status", ["draft", "active", "closed"])
def test_same_status_is_a_no_op(staff_client: Any, status: str) -> None:
    campaign = campaign_make(status=status)
    row = campaign_row(campaign)

    response = patch(staff_client, campaign, {"status": status})

    assert response.status_code == 200
    assert response.json()["status"] == status
    assert campaign_row(campaign) == row


def test_staff_edits_title_description_and_goal(staff_client: Any) -> None:
    campaign = campaign_make(title="Old", description="Old text", goal_amount=1_000)

    response = patch(
        staff_client, campaign, {"title": "New", "description": "", "goal_amount": 100_000_000}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["description"], body["goal_amount"]) == ("New", "", 100_000_000)
    stored = Campaign.objects.get(pk=campaign.pk)
    assert (stored.title, stored.description, stored.goal_amount) == ("New", "", 100_000_000)
    assert stored.updated_at > campaign.updated_at


def test_edit_leaves_the_read_model_alone(staff_client: Any) -> None:
    campaign = campaign_make(pending_amount=300, captured_amount=700, total_pledges=2)

    response = patch(staff_client, campaign, {"goal_amount": 2_000})

    assert response.status_code == 200
    body = response.json()
    assert (body["pending_amount"], body["captured_amount"], body["current_amount"]) == (
        300,
        700,
        700,
    )
    assert body["total_pledges"] == 2


def test_currency_changes_while_there_are_no_pledges(staff_client: Any) -> None:
    campaign = campaign_make(currency="usd")

    response = patch(staff_client, campaign, {"currency": "eur"})

    assert response.status_code == 200
    assert Campaign.objects.get(pk=campaign.pk).currency == "eur"


def test_currency_change_with_pledges_is_409_and_changes_nothing(staff_client: Any) -> None:
    campaign = campaign_make(currency="usd", total_pledges=1, pending_amount=500)
    row = campaign_row(campaign)

    response = patch(staff_client, campaign, {"currency": "eur", "title": "Renamed"})

    assert response.status_code == 409
    assert response.json()["detail"] == "The currency cannot change once the campaign has pledges."
    assert campaign_row(campaign) == row


def test_same_currency_with_pledges_is_allowed(staff_client: Any) -> None:
    campaign = campaign_make(currency="usd", total_pledges=1)

    response = patch(staff_client, campaign, {"currency": "usd", "title": "Renamed"})

    assert response.status_code == 200
    assert Campaign.objects.get(pk=campaign.pk).title == "Renamed"


def test_unknown_campaign_is_404(staff_client: Any) -> None:
    response = staff_client.patch("/api/campaigns/999999", {"title": "x"}, format="json")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_anonymous_patch_is_401(api_client: Any) -> None:
    campaign = campaign_make(status="draft")
    row = campaign_row(campaign)

    response = patch(api_client, campaign, {"status": "active"})

    assert response.status_code == 401
    assert campaign_row(campaign) == row


def test_donor_patch_is_403(donor_client: Any) -> None:
    campaign = campaign_make(status="draft")
    row = campaign_row(campaign)

    response = patch(donor_client, campaign, {"status": "active"})

    assert response.status_code == 403
    assert campaign_row(campaign) == row


def test_token_signed_with_another_key_is_401(forged_staff_client: Any) -> None:
    campaign = campaign_make(status="draft")
    row = campaign_row(campaign)

    response = patch(forged_staff_client, campaign, {"status": "active"})

    assert response.status_code == 401
    assert campaign_row(campaign) == row


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "archived"}, "status"),
        ({"goal_amount": "1000"}, "goal_amount"),
        ({"goal_amount": 1000.0}, "goal_amount"),
        ({"goal_amount": True}, "goal_amount"),
        ({"goal_amount": 0}, "goal_amount"),
        ({"goal_amount": 100_000_001}, "goal_amount"),
        ({"title": ""}, "title"),
        ({"currency": "EUR"}, "currency"),
        ({"total_pledges": 0}, "total_pledges"),
        (["status", "active"], "body"),
    ],
)
def test_invalid_body_is_400_and_changes_nothing(staff_client: Any, body: Any, field: str) -> None:
    campaign = campaign_make(status="draft")
    row = campaign_row(campaign)

    response = patch(staff_client, campaign, body)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field in [error["field"] for error in response.json()["errors"]]
    assert campaign_row(campaign) == row


def test_malformed_json_is_400_with_errors(staff_client: Any) -> None:
    campaign = campaign_make(status="draft")
    row = campaign_row(campaign)

    response = staff_client.patch(
        f"/api/campaigns/{campaign.pk}", "{not json", content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "body"
    assert campaign_row(campaign) == row


def test_a_currency_change_is_decided_on_pledge_service_pledges(
    staff_client: Any, pledge_holds: PledgeHoldsStandIn
) -> None:
    campaign = campaign_make(currency="usd")  # the read model has not seen its pledge yet
    pledge_holds.with_pledges.add(campaign.pk)
    row = campaign_row(campaign)

    response = patch(staff_client, campaign, {"currency": "eur"})

    assert response.status_code == 409
    assert response.json()["detail"] == "The currency cannot change once the campaign has pledges."
    assert campaign_row(campaign) == row


def test_a_currency_change_is_released_with_the_new_currency(
    staff_client: Any, pledge_holds: PledgeHoldsStandIn, django_capture_on_commit_callbacks: Any
) -> None:
    campaign = campaign_make(currency="usd", status="active")

    # The release follows the commit.
    with django_capture_on_commit_callbacks(execute=True):
        patch(staff_client, campaign, {"currency": "eur"})
        patch(staff_client, campaign, {"title": "No hold for this"})

    assert pledge_holds.calls == [
        ("hold", {"campaign_id": campaign.pk}),
        ("release", {"campaign_id": campaign.pk, "status": "active", "currency": "eur"}),
    ]
