"""POST /api/campaigns (SPEC §3): staff only, strict input, nothing written on refusal."""

from __future__ import annotations

from typing import Any

import pytest

from campaigns.models import Campaign

pytestmark = pytest.mark.django_db

BODY = {"title": "Clean water", "description": "Tube wells.", "goal_amount": 100_000}


def test_staff_creates_a_draft_in_usd_by_default(staff_client: Any) -> None:
    response = staff_client.post("/api/campaigns", BODY, format="json")

    assert response.status_code == 201
    campaign = Campaign.objects.get()
    body = response.json()
    assert body == {
        "id": campaign.pk,
        "title": "Clean water",
        "description": "Tube wells.",
        "goal_amount": 100_000,
        "currency": "usd",
        "status": "draft",
        "created_at": campaign.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": campaign.updated_at.isoformat().replace("+00:00", "Z"),
        "pending_amount": 0,
        "authorized_amount": 0,
        "captured_amount": 0,
        "failed_amount": 0,
        "refunded_amount": 0,
        "current_amount": 0,
        "total_pledges": 0,
        "total_payments": 0,
        "active_plans": 0,
        "monthly_recurring_amount": 0,
    }
    assert (campaign.title, campaign.status, campaign.currency) == ("Clean water", "draft", "usd")


def test_staff_creates_an_active_campaign_in_another_currency(staff_client: Any) -> None:
    body = {**BODY, "currency": "eur", "status": "active"}

    response = staff_client.post("/api/campaigns", body, format="json")

    assert response.status_code == 201
    assert response.json()["status"] == "active"
    assert response.json()["currency"] == "eur"
    assert Campaign.objects.get().status == "active"


def test_strings_are_kept_verbatim(staff_client: Any) -> None:
    title = "  <script>alert('x')</script> ' OR 1=1 -- 💧 "
    body = {**BODY, "title": title, "description": ""}

    response = staff_client.post("/api/campaigns", body, format="json")

    assert response.status_code == 201
    assert response.json()["title"] == title
    assert response.json()["description"] == ""
    assert Campaign.objects.get().title == title


def test_anonymous_create_is_401(api_client: Any) -> None:
    response = api_client.post("/api/campaigns", BODY, format="json")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert Campaign.objects.count() == 0


def test_donor_create_is_403(donor_client: Any) -> None:
    response = donor_client.post("/api/campaigns", BODY, format="json")

    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert Campaign.objects.count() == 0


def test_token_signed_with_another_key_is_401(forged_staff_client: Any) -> None:
    response = forged_staff_client.post("/api/campaigns", BODY, format="json")

    assert response.status_code == 401
    assert Campaign.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"goal_amount": "1000"}, "goal_amount"),
        ({"goal_amount": 1000.0}, "goal_amount"),
        ({"goal_amount": True}, "goal_amount"),
        ({"goal_amount": 0}, "goal_amount"),
        ({"goal_amount": 100_000_001}, "goal_amount"),
        ({"goal_amount": None}, "goal_amount"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": 42}, "title"),
        ({"currency": "USD"}, "currency"),
        ({"currency": "us"}, "currency"),
        ({"status": "closed"}, "status"),
        ({"status": "archived"}, "status"),
        ({"owner": "someone"}, "owner"),
        ({"captured_amount": 5}, "captured_amount"),
    ],
)
def test_invalid_body_is_400_and_writes_nothing(
    staff_client: Any, overrides: dict[str, Any], field: str
) -> None:
    response = staff_client.post("/api/campaigns", {**BODY, **overrides}, format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field in [error["field"] for error in response.json()["errors"]]
    assert Campaign.objects.count() == 0


def test_missing_fields_are_each_reported(staff_client: Any) -> None:
    response = staff_client.post("/api/campaigns", {}, format="json")

    assert response.status_code == 400
    fields = sorted(error["field"] for error in response.json()["errors"])
    assert fields == ["description", "goal_amount", "title"]
    assert Campaign.objects.count() == 0


@pytest.mark.parametrize("raw", ["{not json", '["a", "list"]', '"a string"', "42"])
def test_malformed_or_non_object_body_is_400_with_errors(staff_client: Any, raw: str) -> None:
    response = staff_client.post("/api/campaigns", raw, content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "body"
    assert Campaign.objects.count() == 0
