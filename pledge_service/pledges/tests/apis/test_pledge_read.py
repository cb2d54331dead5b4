"""GET /api/pledges/{id} and GET /api/pledges (SPEC §3): who reads which pledge."""

from __future__ import annotations

from typing import Any

import pytest

from pledges.tests.factories import GUEST_BODY, SIGNED_IN_BODY, campaign_changed, pledge_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def mine(donor_client: Any, active_campaign: int) -> dict[str, Any]:
    return pledge_post(donor_client, SIGNED_IN_BODY, key="mine").json()


def test_a_donor_reads_their_pledge(donor_client: Any, mine: dict[str, Any]) -> None:
    response = donor_client.get(f"/api/pledges/{mine['id']}")

    assert response.status_code == 200
    assert response.json() == mine


def test_staff_read_any_pledge(staff_client: Any, mine: dict[str, Any]) -> None:
    response = staff_client.get(f"/api/pledges/{mine['id']}")

    assert response.status_code == 200
    assert response.json() == mine


def test_another_donor_gets_404(other_donor_client: Any, mine: dict[str, Any]) -> None:
    response = other_donor_client.get(f"/api/pledges/{mine['id']}")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_no_credentials_is_401(guest_client: Any, mine: dict[str, Any]) -> None:
    response = guest_client.get(f"/api/pledges/{mine['id']}")
    empty_token = guest_client.get(f"/api/pledges/{mine['id']}", {"receipt_token": ""})

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert empty_token.status_code == 401


def test_a_missing_pledge_is_404(donor_client: Any, active_campaign: int) -> None:
    assert donor_client.get("/api/pledges/999999").status_code == 404


def test_a_receipt_token_opens_only_its_own_pledge(guest_client: Any, mine: dict[str, Any]) -> None:
    token = pledge_post(guest_client, GUEST_BODY, key="guest").json()["receipt_token"]

    response = guest_client.get(f"/api/pledges/{mine['id']}", {"receipt_token": token})

    assert response.status_code == 404


def test_a_donor_reads_a_guest_pledge_with_its_token_only(
    guest_client: Any, other_donor_client: Any, active_campaign: int
) -> None:
    created = pledge_post(guest_client, GUEST_BODY).json()
    path = f"/api/pledges/{created['id']}"

    without = other_donor_client.get(path)
    with_token = other_donor_client.get(path, {"receipt_token": created["receipt_token"]})

    assert without.status_code == 404
    assert with_token.status_code == 200


def test_a_forged_token_is_401(forged_donor_client: Any, mine: dict[str, Any]) -> None:
    assert forged_donor_client.get(f"/api/pledges/{mine['id']}").status_code == 401


def test_a_donor_lists_their_own_pledges_newest_first(
    donor_client: Any, other_donor_client: Any, guest_client: Any, active_campaign: int
) -> None:
    first = pledge_post(donor_client, SIGNED_IN_BODY, key="1").json()
    pledge_post(other_donor_client, SIGNED_IN_BODY, key="1")
    pledge_post(guest_client, GUEST_BODY, key="1")
    second = pledge_post(donor_client, {**SIGNED_IN_BODY, "amount": 10}, key="2").json()

    response = donor_client.get("/api/pledges")

    assert response.status_code == 200
    assert response.json() == {"next": None, "previous": None, "results": [second, first]}


def test_staff_list_every_pledge_and_filter_by_campaign(
    staff_client: Any, donor_client: Any, guest_client: Any, client: Any, active_campaign: int
) -> None:
    campaign_changed(client, campaign_id=8)
    a = pledge_post(donor_client, SIGNED_IN_BODY, key="a").json()
    b = pledge_post(guest_client, {**GUEST_BODY, "campaign_id": 8}, key="b").json()
    c = pledge_post(donor_client, SIGNED_IN_BODY, key="c").json()
    b.pop("receipt_token")

    everything = staff_client.get("/api/pledges").json()["results"]
    of_seven = staff_client.get("/api/pledges", {"campaign_id": 7}).json()["results"]
    invalid = staff_client.get("/api/pledges", {"campaign_id": "x"})

    assert everything == [c, b, a]
    assert of_seven == [c, a]
    assert invalid.status_code == 400


def test_the_list_is_cursor_paginated(donor_client: Any, active_campaign: int) -> None:
    ids = [pledge_post(donor_client, SIGNED_IN_BODY, key=str(n)).json()["id"] for n in range(3)]

    page = donor_client.get("/api/pledges", {"page_size": 2}).json()
    rest = donor_client.get(page["next"]).json()

    assert [p["id"] for p in page["results"]] == [ids[2], ids[1]]
    assert [p["id"] for p in rest["results"]] == [ids[0]]
    assert rest["next"] is None


def test_listing_needs_an_account(guest_client: Any) -> None:
    response = guest_client.get("/api/pledges")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
