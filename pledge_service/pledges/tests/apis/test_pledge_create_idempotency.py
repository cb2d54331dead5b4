"""Idempotency-Key on POST /api/pledges (SPEC §3): one pledge per key, replays, refusals."""

from __future__ import annotations

from typing import Any

import pytest

from pledges.models import IdempotencyRecord, Pledge
from pledges.tests.factories import (
    GUEST_BODY,
    NOTHING,
    SIGNED_IN_BODY,
    campaign_changed,
    pledge_post,
    written,
)

pytestmark = pytest.mark.django_db

ONE = {"pledges": 1, "records": 1, "outbox": 1}


def test_a_repeat_gets_the_original_answer_marked_replayed(
    donor_client: Any, active_campaign: int
) -> None:
    first = pledge_post(donor_client, SIGNED_IN_BODY)

    again = pledge_post(donor_client, SIGNED_IN_BODY)

    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert written() == ONE


def test_key_order_and_spacing_of_the_body_do_not_matter(
    donor_client: Any, active_campaign: int
) -> None:
    first = pledge_post(donor_client, '{"campaign_id": 7, "amount": 2500}', raw=True)

    again = pledge_post(donor_client, '{"amount":2500,"campaign_id":7}', raw=True)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert written() == ONE


def test_the_original_answer_is_replayed_even_after_the_pledge_moved_on(
    donor_client: Any, active_campaign: int
) -> None:
    first = pledge_post(donor_client, SIGNED_IN_BODY)
    Pledge.objects.update(status="CAPTURED")

    again = pledge_post(donor_client, SIGNED_IN_BODY)

    assert again.json() == first.json()
    assert again.json()["status"] == "PENDING"


def test_a_repeat_after_the_campaign_closed_still_gets_its_201(
    donor_client: Any, client: Any, active_campaign: int
) -> None:
    first = pledge_post(donor_client, SIGNED_IN_BODY)
    campaign_changed(client, campaign_id=7, status="closed")

    again = pledge_post(donor_client, SIGNED_IN_BODY)
    new_key = pledge_post(donor_client, SIGNED_IN_BODY, key="key-2")

    assert (again.status_code, again["Idempotent-Replayed"]) == (201, "true")
    assert again.json() == first.json()
    assert new_key.status_code == 409
    assert written() == ONE


def test_a_guest_replay_returns_the_same_receipt_token(
    guest_client: Any, active_campaign: int
) -> None:
    first = pledge_post(guest_client, GUEST_BODY)

    again = pledge_post(guest_client, GUEST_BODY)

    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert "receipt_token" in again.json()
    assert written() == ONE


def test_the_same_key_with_another_body_is_422_and_writes_nothing(
    donor_client: Any, active_campaign: int
) -> None:
    first = pledge_post(donor_client, SIGNED_IN_BODY)

    other = pledge_post(donor_client, {**SIGNED_IN_BODY, "amount": 9_999})
    explicit_default = pledge_post(donor_client, {**SIGNED_IN_BODY, "currency": "usd"})

    assert other.status_code == 422
    assert other["Content-Type"] == "application/problem+json"
    assert "different request body" in other.json()["detail"]
    assert explicit_default.status_code == 422  # another body, even if it means the same
    assert written() == ONE
    assert IdempotencyRecord.objects.get().response_body == first.json()


def test_the_same_key_with_another_body_is_422_even_when_the_campaign_closed(
    donor_client: Any, client: Any, active_campaign: int
) -> None:
    pledge_post(donor_client, SIGNED_IN_BODY)
    campaign_changed(client, campaign_id=7, status="closed")

    other = pledge_post(donor_client, {**SIGNED_IN_BODY, "amount": 9_999})

    assert other.status_code == 422
    assert written() == ONE


def test_keys_are_per_caller(
    donor_client: Any, other_donor_client: Any, guest_client: Any, active_campaign: int
) -> None:
    mine = pledge_post(donor_client, SIGNED_IN_BODY)
    theirs = pledge_post(other_donor_client, SIGNED_IN_BODY)
    guest = pledge_post(guest_client, GUEST_BODY)
    other_guest = pledge_post(guest_client, {**GUEST_BODY, "donor_email": "b@example.org"})

    assert [r.status_code for r in (mine, theirs, guest, other_guest)] == [201] * 4
    assert Pledge.objects.count() == 4
    assert sorted(IdempotencyRecord.objects.values_list("scope", flat=True)) == [
        "guest:b@example.org",
        "guest:rahim@example.org",
        "user:2",
        "user:3",
    ]


def test_a_guest_s_key_is_scoped_to_the_email_whatever_its_case(
    guest_client: Any, active_campaign: int
) -> None:
    pledge_post(guest_client, GUEST_BODY)

    shouted = pledge_post(guest_client, {**GUEST_BODY, "donor_email": "RAHIM@EXAMPLE.ORG"})

    assert shouted.status_code == 422  # same guest, same key, another body
    assert written() == ONE


def test_keys_are_compared_exactly(donor_client: Any, active_campaign: int) -> None:
    # The database's collation would call these equal; the idempotency key may not.
    keys = ["Order-1", "order-1", "order-1 ", " order-1"]

    answers = [pledge_post(donor_client, SIGNED_IN_BODY, key=key) for key in keys]

    assert [answer.status_code for answer in answers] == [201] * 4
    assert [answer.has_header("Idempotent-Replayed") for answer in answers] == [False] * 4
    assert Pledge.objects.count() == 4


@pytest.mark.parametrize(
    "key",
    [
        None,
        "",
        "k" * 256,
        "clé",
        "tab\tinside",
        "new\nline",
        "\x7f",
    ],
)
def test_a_missing_or_invalid_key_is_400(
    donor_client: Any, active_campaign: int, key: str | None
) -> None:
    response = pledge_post(donor_client, SIGNED_IN_BODY, key=key)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {"field": "Idempotency-Key", "message": "Required: 1 to 255 printable ASCII characters."}
    ]
    assert written() == NOTHING


@pytest.mark.parametrize("key", ["k", "k" * 255, " ~!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}"])
def test_any_printable_ascii_key_of_1_to_255_is_taken(
    donor_client: Any, active_campaign: int, key: str
) -> None:
    response = pledge_post(donor_client, SIGNED_IN_BODY, key=key)

    assert response.status_code == 201
    assert IdempotencyRecord.objects.get().key == key
