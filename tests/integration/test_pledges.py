"""Pledges through the gateway (SPEC §3, §5.1, §5.2, §5.7)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from integration.support import (
    Donor,
    assert_problem,
    bearer,
    create_campaign,
    get_campaign,
    make_pledge,
    wait_until,
)


@pytest.fixture
def campaign(gateway: str, staff_token: str) -> dict[str, object]:
    return create_campaign(gateway, staff_token)


def my_pledges(gateway: str, donor: Donor) -> list[dict[str, object]]:
    response = requests.get(
        f"{gateway}/api/pledges?page_size=100", headers=bearer(donor.access), timeout=10
    )
    assert response.status_code == 200
    results: list[dict[str, object]] = response.json()["results"]
    return results


def test_fifty_concurrent_identical_requests_make_one_pledge(
    gateway: str, campaign: dict[str, object], donor: Donor
) -> None:
    key = uuid.uuid4().hex

    def attempt(_: int) -> requests.Response:
        return make_pledge(gateway, int(str(campaign["id"])), 2500, token=donor.access, key=key)

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(attempt, range(50)))

    assert {r.status_code for r in responses} == {201}
    bodies = {r.text for r in responses}
    assert len(bodies) == 1
    replayed = [r for r in responses if r.headers.get("Idempotent-Replayed") == "true"]
    assert len(replayed) == 49
    assert len(my_pledges(gateway, donor)) == 1
    wait_until(lambda: get_campaign(gateway, int(str(campaign["id"])))["total_pledges"] == 1)
    assert get_campaign(gateway, int(str(campaign["id"])))["pending_amount"] == 2500


def test_same_key_other_body_is_422_and_missing_key_400(
    gateway: str, campaign: dict[str, object], donor: Donor
) -> None:
    campaign_id = int(str(campaign["id"]))
    key = uuid.uuid4().hex
    assert make_pledge(gateway, campaign_id, 100, token=donor.access, key=key).status_code == 201

    other = make_pledge(gateway, campaign_id, 200, token=donor.access, key=key)
    missing = requests.post(
        f"{gateway}/api/pledges",
        json={"campaign_id": campaign_id, "amount": 100},
        headers=bearer(donor.access),
        timeout=10,
    )

    assert_problem(other, 422)
    assert_problem(missing, 400)
    assert len(my_pledges(gateway, donor)) == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"amount": "1000"},
        {"amount": 1000.0},
        {"amount": True},
        {"amount": 0},
        {"amount": 100_000_001},
        {"amount": 100, "tip": 5},
        {"amount": 100, "anonymous": "yes"},
        {"amount": 100, "donor_name": "Someone else"},
    ],
)
def test_bad_input_is_refused_and_writes_nothing(
    gateway: str, campaign: dict[str, object], donor: Donor, fields: dict[str, object]
) -> None:
    body = {"campaign_id": campaign["id"], **fields}

    response = requests.post(
        f"{gateway}/api/pledges",
        json=body,
        headers={**bearer(donor.access), "Idempotency-Key": uuid.uuid4().hex},
        timeout=10,
    )

    assert_problem(response, 400)
    assert my_pledges(gateway, donor) == []


def test_malformed_json_and_campaign_rules(
    gateway: str, staff_token: str, campaign: dict[str, object], donor: Donor
) -> None:
    headers = {**bearer(donor.access), "Idempotency-Key": uuid.uuid4().hex}
    malformed = requests.post(
        f"{gateway}/api/pledges",
        data='{"campaign_id": ',
        headers={**headers, "Content-Type": "application/json"},
        timeout=10,
    )
    draft = create_campaign(gateway, staff_token, status="draft")
    eur = create_campaign(gateway, staff_token, currency="eur")

    assert_problem(malformed, 400)
    assert_problem(make_pledge(gateway, 999_999_999, 100, token=donor.access), 404)
    assert_problem(make_pledge(gateway, int(str(draft["id"])), 100, token=donor.access), 409)
    assert_problem(
        make_pledge(gateway, int(str(eur["id"])), 100, token=donor.access, currency="usd"), 422
    )
    assert my_pledges(gateway, donor) == []


def test_guest_pledge_reads_back_with_its_receipt_token(
    gateway: str, campaign: dict[str, object]
) -> None:
    response = make_pledge(gateway, int(str(campaign["id"])), 1200, donor_name="<b>Grace</b>")
    assert response.status_code == 201
    pledge = response.json()
    token = pledge["receipt_token"]
    url = f"{gateway}/api/pledges/{pledge['id']}"

    with_token = requests.get(url, params={"receipt_token": token}, timeout=10)
    wrong = requests.get(url, params={"receipt_token": token[:-2] + "xx"}, timeout=10)
    none = requests.get(url, timeout=10)

    assert len(token) >= 32
    assert with_token.status_code == 200
    assert with_token.json()["donor_name"] == "<b>Grace</b>"  # verbatim
    assert with_token.json()["status"] == "PENDING"
    assert with_token.json()["user_id"] is None
    assert_problem(wrong, 404)
    assert_problem(none, 401)


def test_anonymous_pledge_counts_but_shows_as_anonymous(
    gateway: str, campaign: dict[str, object], donor: Donor
) -> None:
    campaign_id = int(str(campaign["id"]))
    pledge = make_pledge(gateway, campaign_id, 700, token=donor.access, anonymous=True).json()

    def donations() -> list[dict[str, object]]:
        page = requests.get(f"{gateway}/api/campaigns/{campaign_id}/donations", timeout=10)
        results: list[dict[str, object]] = page.json()["results"]
        return results

    wait_until(lambda: len(donations()) == 1)
    (donation,) = donations()
    assert donation == {
        "pledge_id": pledge["id"],
        "amount": 700,
        "currency": "usd",
        "status": "PENDING",
        "donor_name": "Anonymous",
        "occurred_at": donation["occurred_at"],
    }
    assert get_campaign(gateway, campaign_id)["pending_amount"] == 700


def test_a_closed_campaign_stops_taking_pledges(
    gateway: str, staff_token: str, campaign: dict[str, object], donor: Donor
) -> None:
    campaign_id = int(str(campaign["id"]))
    assert make_pledge(gateway, campaign_id, 100, token=donor.access).status_code == 201

    requests.patch(
        f"{gateway}/api/campaigns/{campaign_id}",
        json={"status": "closed"},
        headers=bearer(staff_token),
        timeout=10,
    )

    wait_until(
        lambda: make_pledge(gateway, campaign_id, 100, token=donor.access).status_code == 409,
        timeout=10,
        interval=0.5,
    )
