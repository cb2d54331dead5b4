"""GET /api/campaigns/{id} (SPEC §3): public, 404 problem for none or a draft."""

from __future__ import annotations

from typing import Any

import pytest

from campaigns.tests.factories import campaign_make

pytestmark = pytest.mark.django_db


def test_detail_is_the_campaign_with_integer_money(api_client: Any) -> None:
    campaign = campaign_make(
        title="Books",
        description="",
        goal_amount=250_000,
        currency="eur",
        pending_amount=1_000,
        authorized_amount=2_000,
        captured_amount=3_000,
        failed_amount=4_000,
        total_pledges=4,
        total_payments=1,
        active_plans=3,
        monthly_recurring_amount=2_083,
    )

    response = api_client.get(f"/api/campaigns/{campaign.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "id": campaign.pk,
        "title": "Books",
        "description": "",
        "goal_amount": 250_000,
        "currency": "eur",
        "status": "active",
        "created_at": campaign.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": campaign.updated_at.isoformat().replace("+00:00", "Z"),
        "pending_amount": 1_000,
        "authorized_amount": 2_000,
        "captured_amount": 3_000,
        "failed_amount": 4_000,
        "refunded_amount": 0,
        "current_amount": 3_000,
        "total_pledges": 4,
        "total_payments": 1,
        "active_plans": 3,
        "monthly_recurring_amount": 2_083,
    }
    assert all(type(value) is int for key, value in body.items() if key.endswith("_amount"))
    assert body["created_at"].endswith("Z")


def test_unknown_campaign_is_a_404_problem(api_client: Any) -> None:
    response = api_client.get("/api/campaigns/999999")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "No campaign with this id.",
    }


def test_an_id_beyond_bigint_is_404(api_client: Any) -> None:
    response = api_client.get(f"/api/campaigns/{10**30}")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_a_draft_is_404_to_the_public_and_donors(api_client: Any, donor_client: Any) -> None:
    draft = campaign_make(status="draft")

    assert api_client.get(f"/api/campaigns/{draft.pk}").status_code == 404
    assert donor_client.get(f"/api/campaigns/{draft.pk}").status_code == 404


def test_staff_sees_a_draft(staff_client: Any) -> None:
    draft = campaign_make(status="draft")

    response = staff_client.get(f"/api/campaigns/{draft.pk}")

    assert response.status_code == 200
    assert response.json()["status"] == "draft"


def test_detail_is_one_query(api_client: Any, django_assert_num_queries: Any) -> None:
    campaign = campaign_make()

    with django_assert_num_queries(1):
        response = api_client.get(f"/api/campaigns/{campaign.pk}")

    assert response.status_code == 200


def test_trailing_slash_is_not_a_route(api_client: Any) -> None:
    campaign = campaign_make()

    response = api_client.get(f"/api/campaigns/{campaign.pk}/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
