"""GET /api/campaigns/{id}/donations (SPEC §3): public, newest first, no email or user id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from campaigns.tests.factories import (
    campaign_make,
    pledge_created,
    pledge_events,
    pledge_payload,
    status_changed,
)

pytestmark = pytest.mark.django_db

Deliver = Callable[..., list[str]]


def url(campaign: Any) -> str:
    return f"/api/campaigns/{campaign if isinstance(campaign, int) else campaign.pk}/donations"


def test_donations_shape_newest_first_with_current_status(
    api_client: Any, deliver: Deliver
) -> None:
    campaign = campaign_make()
    deliver(
        *pledge_events(
            pledge_payload(
                campaign,
                pledge_id=4,
                amount=2_000,
                status="CAPTURED",
                donor_name="Grace Hopper",
                created_at="2025-03-01T10:00:00Z",
            )
        ),
        pledge_created(
            campaign,
            pledge_id=9,
            amount=500,
            donor_name="Hidden Name",
            anonymous=True,
            created_at="2025-03-02T11:30:00.250000Z",
        ),
    )

    response = api_client.get(url(campaign))

    assert response.status_code == 200
    assert response.json() == {
        "next": None,
        "previous": None,
        "results": [
            {
                "pledge_id": 9,
                "amount": 500,
                "currency": "usd",
                "status": "PENDING",
                "donor_name": "Anonymous",
                "occurred_at": "2025-03-02T11:30:00.250000Z",
            },
            {
                "pledge_id": 4,
                "amount": 2_000,
                "currency": "usd",
                "status": "CAPTURED",
                "donor_name": "Grace Hopper",
                "occurred_at": "2025-03-01T10:00:00Z",
            },
        ],
    }
    body = response.content.decode()
    assert "Hidden Name" not in body
    assert "user_id" not in body
    assert "email" not in body


def test_a_pledge_seen_before_its_creation_shows_anonymous(
    api_client: Any, deliver: Deliver
) -> None:
    campaign = campaign_make()
    deliver(status_changed(campaign, pledge_id=3, amount=700, new_status="AUTHORIZED"))

    response = api_client.get(url(campaign))

    (donation,) = response.json()["results"]
    assert (donation["donor_name"], donation["status"], donation["amount"]) == (
        "Anonymous",
        "AUTHORIZED",
        700,
    )


def test_pagination_follows_the_cursor(api_client: Any, deliver: Deliver) -> None:
    campaign = campaign_make()
    other = campaign_make()
    deliver(*[pledge_created(campaign, pledge_id=n) for n in range(1, 26)])
    deliver(pledge_created(other, pledge_id=26))

    first = api_client.get(url(campaign), {"page_size": 10}).json()
    second = api_client.get(first["next"]).json()
    third = api_client.get(second["next"]).json()

    seen = [d["pledge_id"] for page in (first, second, third) for d in page["results"]]
    assert seen == list(range(25, 0, -1))
    assert third["next"] is None
    assert second["previous"] is not None


def test_default_page_size_is_20(api_client: Any, deliver: Deliver) -> None:
    campaign = campaign_make()
    deliver(*[pledge_created(campaign, pledge_id=n) for n in range(1, 23)])

    response = api_client.get(url(campaign))

    assert len(response.json()["results"]) == 20


def test_a_page_is_one_query(
    api_client: Any, deliver: Deliver, django_assert_num_queries: Any
) -> None:
    campaign = campaign_make()
    deliver(*[pledge_created(campaign, pledge_id=n) for n in range(1, 6)])

    with django_assert_num_queries(1):
        response = api_client.get(url(campaign))

    assert len(response.json()["results"]) == 5


def test_a_campaign_without_pledges_has_an_empty_list(api_client: Any) -> None:
    campaign = campaign_make(status="closed")

    response = api_client.get(url(campaign))

    assert response.status_code == 200
    assert response.json() == {"next": None, "previous": None, "results": []}


def test_unknown_campaign_is_404(api_client: Any) -> None:
    response = api_client.get(url(999_999))

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_a_draft_is_404_for_the_public_and_visible_to_staff(
    api_client: Any, donor_client: Any, staff_client: Any, deliver: Deliver
) -> None:
    draft = campaign_make(status="draft")
    deliver(pledge_created(draft, pledge_id=1))

    assert api_client.get(url(draft)).status_code == 404
    assert donor_client.get(url(draft)).status_code == 404
    staff = staff_client.get(url(draft))
    assert staff.status_code == 200
    assert [d["pledge_id"] for d in staff.json()["results"]] == [1]
