"""GET /api/payments/{id} (SPEC §3): its donor, staff, or the pledge's receipt token."""

from __future__ import annotations

from typing import Any

import pytest

from payments.tests.factories import payment_post
from payments.tests.fakes import FakePledgeService

pytestmark = pytest.mark.django_db

VISA = {"pledge_id": 41, "payment_method": "pm_card_visa"}


@pytest.fixture
def donor_payment(donor_client: Any, donor_pledge: int) -> dict[str, Any]:
    body: dict[str, Any] = payment_post(donor_client, VISA).json()
    return body


@pytest.fixture
def guest_payment(guest_client: Any, pledge_service: FakePledgeService) -> dict[str, Any]:
    pledge_service.add(45, user_id=None, receipt_token="guest-token")
    body = {**VISA, "pledge_id": 45, "receipt_token": "guest-token"}
    answer: dict[str, Any] = payment_post(guest_client, body).json()
    return answer


def test_the_donor_and_staff_read_the_payment(
    donor_client: Any, staff_client: Any, donor_payment: dict[str, Any]
) -> None:
    path = f"/api/payments/{donor_payment['id']}"

    mine = donor_client.get(path)
    staff = staff_client.get(path)

    assert (mine.status_code, staff.status_code) == (200, 200)
    # Not captured: no transparency log entry yet (transparency/tests test the block).
    assert mine.json() == {**donor_payment, "transparency": None}
    assert staff.json() == {**donor_payment, "transparency": None}


def test_a_guest_reads_with_the_receipt_token(
    guest_client: Any, donor_client: Any, guest_payment: dict[str, Any]
) -> None:
    path = f"/api/payments/{guest_payment['id']}"

    right = guest_client.get(path, {"receipt_token": "guest-token"})
    signed_in_with_token = donor_client.get(path, {"receipt_token": "guest-token"})
    wrong = guest_client.get(path, {"receipt_token": "not-it"})

    assert right.status_code == 200
    assert right.json() == {**guest_payment, "transparency": None}
    assert signed_in_with_token.status_code == 200
    assert wrong.status_code == 404


def test_without_credentials_it_is_401(guest_client: Any, donor_payment: dict[str, Any]) -> None:
    response = guest_client.get(f"/api/payments/{donor_payment['id']}")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_another_donor_or_a_guest_s_payment_is_404(
    other_donor_client: Any,
    donor_client: Any,
    donor_payment: dict[str, Any],
    guest_payment: dict[str, Any],
) -> None:
    theirs = other_donor_client.get(f"/api/payments/{donor_payment['id']}")
    guests = donor_client.get(f"/api/payments/{guest_payment['id']}")
    unknown = donor_client.get("/api/payments/999999")

    assert [r.status_code for r in (theirs, guests, unknown)] == [404, 404, 404]
    assert theirs.json() == unknown.json()  # a refusal looks like a missing payment


def test_an_invalid_token_is_401_not_a_guest(
    guest_client: Any, donor_payment: dict[str, Any]
) -> None:
    guest_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = guest_client.get(f"/api/payments/{donor_payment['id']}")

    assert response.status_code == 401
