"""Signed internal reads (SPEC §4): payment_service's pledge lookup, the reconciliation list."""

from __future__ import annotations

import time
from typing import Any

import pytest

from careforall_common import signing
from pledges.models import Pledge
from pledges.tests.factories import (
    GUEST_BODY,
    SIGNED_IN_BODY,
    campaign_changed,
    pledge_post,
    sign,
    signed_get,
)

pytestmark = pytest.mark.django_db


def iso(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")


@pytest.fixture
def pledges(client: Any, donor_client: Any, guest_client: Any, active_campaign: int) -> list[int]:
    campaign_changed(client, campaign_id=8)
    ids = [
        pledge_post(donor_client, SIGNED_IN_BODY, key="a").json()["id"],
        pledge_post(guest_client, {**GUEST_BODY, "campaign_id": 8}, key="b").json()["id"],
        pledge_post(donor_client, {**SIGNED_IN_BODY, "anonymous": True}, key="c").json()["id"],
    ]
    return ids


def test_payment_service_reads_a_pledge(client: Any, pledges: list[int]) -> None:
    guest = Pledge.objects.get(pk=pledges[1])
    donor = Pledge.objects.get(pk=pledges[0])

    guest_answer = signed_get(client, f"/internal/pledges/{guest.pk}")
    donor_answer = signed_get(client, f"/internal/pledges/{donor.pk}")

    assert guest_answer.status_code == 200
    assert guest_answer.json() == {
        "pledge_id": guest.pk,
        "campaign_id": 8,
        "user_id": None,
        "amount": 2_500,
        "currency": "usd",
        "status": "PENDING",
        "receipt_token_hash": guest.receipt_token_hash,
        "donor_email": guest.donor_email,  # a guest's: the card-testing limit per email
    }
    assert donor_answer.json()["user_id"] == 2
    assert donor_answer.json()["receipt_token_hash"] is None
    assert donor_answer.json()["donor_email"] == ""  # an account's email stays in user_service


def test_an_unknown_pledge_is_404(client: Any, pledges: list[int]) -> None:
    response = signed_get(client, "/internal/pledges/999999")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_the_reconciliation_list_pages_by_id(client: Any, pledges: list[int]) -> None:
    first = signed_get(client, "/internal/pledges?limit=2").json()
    rest = signed_get(client, f"/internal/pledges?limit=2&after={first['next_after']}").json()

    assert [p["pledge_id"] for p in first["results"]] == pledges[:2]
    assert first["next_after"] == pledges[1]
    assert [p["pledge_id"] for p in rest["results"]] == pledges[2:]
    assert rest["next_after"] is None
    third = Pledge.objects.get(pk=pledges[2])
    assert rest["results"][0] == {
        "pledge_id": third.pk,
        "campaign_id": 7,
        "user_id": 2,
        "donor_name": "Test Donor",
        "anonymous": True,
        "amount": 2_500,
        "currency": "usd",
        "status": "PENDING",
        "created_at": iso(third.created_at),
        "refunded_amount": 0,
    }


def test_the_reconciliation_list_filters_by_campaign(client: Any, pledges: list[int]) -> None:
    answer = signed_get(client, "/internal/pledges?campaign_id=7").json()

    assert [p["pledge_id"] for p in answer["results"]] == [pledges[0], pledges[2]]
    assert answer["next_after"] is None


@pytest.mark.parametrize("query", ["limit=0", "limit=x", "after=-1", "campaign_id=0"])
def test_an_invalid_list_query_is_400(client: Any, pledges: list[int], query: str) -> None:
    assert signed_get(client, f"/internal/pledges?{query}").status_code == 400


def test_a_limit_above_the_maximum_counts_as_the_maximum(client: Any, pledges: list[int]) -> None:
    answer = signed_get(client, "/internal/pledges?limit=5000")

    assert answer.status_code == 200
    assert len(answer.json()["results"]) == 3


@pytest.mark.parametrize(
    "path", ["/internal/pledges/{id}", "/internal/pledges", "/internal/pledges?campaign_id=7"]
)
def test_unsigned_wrong_or_stale_signatures_are_403(
    client: Any, pledges: list[int], path: str
) -> None:
    path = path.format(id=pledges[0])
    headers = [
        {},
        {signing.HEADER: sign(path.encode(), secret="not the secret")},
        {signing.HEADER: sign(path.encode(), timestamp=int(time.time()) - 301)},
        {signing.HEADER: sign(b"/internal/pledges/other")},
        {signing.HEADER: "t=1,v1=00"},
    ]

    answers = [client.get(path, headers=h) for h in headers]

    assert [answer.status_code for answer in answers] == [403] * len(headers)
    assert {answer["Content-Type"] for answer in answers} == {"application/problem+json"}


def test_a_user_token_does_not_open_internal_views(staff_client: Any, pledges: list[int]) -> None:
    assert staff_client.get(f"/internal/pledges/{pledges[0]}").status_code == 403


def test_unsigned_events_change_nothing(client: Any, pledges: list[int]) -> None:
    body = (
        b'{"events": [{"event_id": "0b6a8d0e-8a43-4b8e-9d0e-7c1b2a3f4e5d", '
        b'"event_type": "PAYMENT_CAPTURED", "occurred_at": "2026-01-01T00:00:00Z", '
        b'"payload": {"pledge_id": %d, "campaign_id": 7, "amount": 2500, "currency": "usd"}}]}'
        % pledges[0]
    )

    unsigned = client.post("/internal/events", body, content_type="application/json")
    wrong = client.post(
        "/internal/events",
        body,
        content_type="application/json",
        headers={signing.HEADER: sign(body, secret="not the secret")},
    )

    assert (unsigned.status_code, wrong.status_code) == (403, 403)
    assert Pledge.objects.get(pk=pledges[0]).status == "PENDING"
