"""Campaigns through the gateway (SPEC §3)."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from integration.support import Donor, assert_problem, bearer

MONEY = (
    "goal_amount",
    "pending_amount",
    "authorized_amount",
    "captured_amount",
    "failed_amount",
    "current_amount",
    "total_pledges",
    "total_payments",
)


def create(gateway: str, token: str, **fields: Any) -> requests.Response:
    body = {"title": f"Wells {uuid.uuid4().hex[:6]}", "description": "Clean water", **fields}
    body.setdefault("goal_amount", 500_000)
    return requests.post(f"{gateway}/api/campaigns", json=body, headers=bearer(token), timeout=10)


def test_writes_need_staff(gateway: str, staff_token: str, donor: Donor) -> None:
    body = {"title": "T", "description": "D", "goal_amount": 100}

    anonymous = requests.post(f"{gateway}/api/campaigns", json=body, timeout=10)
    as_donor = requests.post(
        f"{gateway}/api/campaigns", json=body, headers=bearer(donor.access), timeout=10
    )
    as_staff = create(gateway, staff_token)

    assert_problem(anonymous, 401)
    assert_problem(as_donor, 403)
    assert as_staff.status_code == 201
    campaign = as_staff.json()
    assert campaign["status"] == "draft"
    assert campaign["currency"] == "usd"
    for field in MONEY:
        assert type(campaign[field]) is int, field
    assert campaign["current_amount"] == campaign["captured_amount"] == 0


def test_status_moves_forward_only(gateway: str, staff_token: str) -> None:
    campaign = create(gateway, staff_token).json()
    url = f"{gateway}/api/campaigns/{campaign['id']}"

    def patch(status: str) -> requests.Response:
        return requests.patch(url, json={"status": status}, headers=bearer(staff_token), timeout=10)

    assert patch("active").json()["status"] == "active"
    assert patch("active").status_code == 200  # the same status is a no-op
    assert_problem(patch("draft"), 409)
    assert patch("closed").json()["status"] == "closed"
    assert_problem(patch("active"), 409)
    assert requests.get(url, timeout=10).json()["status"] == "closed"


def test_public_list_is_paginated_and_hides_drafts(gateway: str, staff_token: str) -> None:
    ids = [create(gateway, staff_token, status="active").json()["id"] for _ in range(3)]
    draft = create(gateway, staff_token).json()["id"]

    first = requests.get(f"{gateway}/api/campaigns?status=active&page_size=2", timeout=10)
    second = requests.get(first.json()["next"], timeout=10)

    assert first.status_code == 200
    assert set(first.json()) == {"next", "previous", "results"}
    assert [c["id"] for c in first.json()["results"]] == ids[::-1][:2]
    assert second.json()["results"][0]["id"] == ids[0]
    public_ids = {
        c["id"] for c in requests.get(f"{gateway}/api/campaigns", timeout=10).json()["results"]
    }
    assert draft not in public_ids
    assert_problem(requests.get(f"{gateway}/api/campaigns/{draft}", timeout=10), 404)


def test_bad_input_is_refused_and_writes_nothing(gateway: str, staff_token: str) -> None:
    title = f"refused-{uuid.uuid4().hex}"
    for goal in ("1000", 1000.0, True, 0, 100_000_001):
        problem = assert_problem(create(gateway, staff_token, title=title, goal_amount=goal), 400)
        assert problem["errors"]
    assert_problem(create(gateway, staff_token, title=title, status="archived"), 400)
    assert_problem(create(gateway, staff_token, title=title, owner=1), 400)
    malformed = requests.post(
        f"{gateway}/api/campaigns",
        data="{oops",
        headers={**bearer(staff_token), "Content-Type": "application/json"},
        timeout=10,
    )
    assert_problem(malformed, 400)

    listed = requests.get(
        f"{gateway}/api/campaigns?page_size=100", headers=bearer(staff_token), timeout=10
    )
    assert title not in {c["title"] for c in listed.json()["results"]}


def test_strings_are_stored_verbatim(gateway: str, staff_token: str) -> None:
    title = "  <script>alert(1)</script> '; DROP TABLE campaigns; -- "

    created = create(gateway, staff_token, title=title, status="active").json()
    read = requests.get(f"{gateway}/api/campaigns/{created['id']}", timeout=10)

    assert read.json()["title"] == title
    assert read.headers["Content-Type"] == "application/json"


def test_delete_without_pledges(gateway: str, staff_token: str) -> None:
    campaign = create(gateway, staff_token).json()
    url = f"{gateway}/api/campaigns/{campaign['id']}"

    deleted = requests.delete(url, headers=bearer(staff_token), timeout=10)

    assert deleted.status_code == 204
    assert_problem(requests.get(url, headers=bearer(staff_token), timeout=10), 404)
