"""GET /api/campaigns (SPEC §2, §3): public, cursor-paginated, newest first, drafts hidden."""

from __future__ import annotations

from typing import Any

import pytest

from campaigns.models import Campaign
from campaigns.tests.factories import campaign_make

pytestmark = pytest.mark.django_db


def ids(response: Any) -> list[int]:
    return [campaign["id"] for campaign in response.json()["results"]]


def make_many(count: int) -> list[int]:
    Campaign.objects.bulk_create(
        Campaign(title=f"Campaign {n}", goal_amount=1_000, status="active") for n in range(count)
    )
    return list(Campaign.objects.order_by("-id").values_list("id", flat=True))


def test_list_shape_is_drf_cursor_pagination(api_client: Any) -> None:
    campaign = campaign_make(pending_amount=100, authorized_amount=200, captured_amount=300)

    response = api_client.get("/api/campaigns")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    assert body["next"] is None
    assert body["previous"] is None
    assert ids(response) == [campaign.pk]
    (item,) = body["results"]
    assert item["current_amount"] == 300
    for field in ["goal_amount", "pending_amount", "authorized_amount", "captured_amount"]:
        assert type(item[field]) is int


def test_newest_first_and_page_size_defaults_to_20(api_client: Any) -> None:
    newest_first = make_many(25)

    response = api_client.get("/api/campaigns")

    assert ids(response) == newest_first[:20]
    assert response.json()["next"] is not None


@pytest.mark.parametrize(
    ("page_size", "expected"),
    [("5", 5), ("100", 100), ("101", 100), ("1000", 100), ("0", 20), ("-3", 20), ("abc", 20)],
)
def test_page_size(api_client: Any, page_size: str, expected: int) -> None:
    make_many(105)

    response = api_client.get("/api/campaigns", {"page_size": page_size})

    assert response.status_code == 200
    assert len(response.json()["results"]) == expected


def test_following_next_walks_every_campaign_once(api_client: Any) -> None:
    newest_first = make_many(12)

    seen: list[int] = []
    url: str | None = "/api/campaigns?page_size=5"
    while url:
        response = api_client.get(url)
        assert response.status_code == 200
        seen += ids(response)
        url = response.json()["next"]

    assert seen == newest_first


def test_public_never_sees_drafts(api_client: Any) -> None:
    campaign_make(status="draft")
    active = campaign_make(status="active")
    closed = campaign_make(status="closed")

    everything = api_client.get("/api/campaigns")
    drafts = api_client.get("/api/campaigns", {"status": "draft"})

    assert ids(everything) == [closed.pk, active.pk]
    assert drafts.status_code == 200
    assert ids(drafts) == []


def test_donor_never_sees_drafts(donor_client: Any) -> None:
    campaign_make(status="draft")

    response = donor_client.get("/api/campaigns", {"status": "draft"})

    assert ids(response) == []


def test_staff_sees_every_status(staff_client: Any) -> None:
    draft = campaign_make(status="draft")
    active = campaign_make(status="active")

    everything = staff_client.get("/api/campaigns")
    drafts = staff_client.get("/api/campaigns", {"status": "draft"})

    assert ids(everything) == [active.pk, draft.pk]
    assert ids(drafts) == [draft.pk]


def test_status_filter(api_client: Any) -> None:
    active = campaign_make(status="active")
    closed = campaign_make(status="closed")

    assert ids(api_client.get("/api/campaigns", {"status": "active"})) == [active.pk]
    assert ids(api_client.get("/api/campaigns", {"status": "closed"})) == [closed.pk]


def test_invalid_status_filter_is_400(api_client: Any) -> None:
    response = api_client.get("/api/campaigns", {"status": "archived"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == ["status"]


def test_a_page_is_one_query(api_client: Any, django_assert_num_queries: Any) -> None:
    make_many(30)

    with django_assert_num_queries(1):
        response = api_client.get("/api/campaigns", {"status": "active"})

    assert len(response.json()["results"]) == 20


def test_an_invalid_token_on_a_read_is_401_not_a_guest(forged_staff_client: Any) -> None:
    campaign_make()

    response = forged_staff_client.get("/api/campaigns")

    assert response.status_code == 401
