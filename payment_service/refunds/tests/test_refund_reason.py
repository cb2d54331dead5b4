"""A refund's ``reason`` is staff-only (SPEC §3): ``null`` for its donor and a receipt token."""

from __future__ import annotations

from typing import Any

import pytest

from payments.models import Payment
from refunds.tests.helpers import captured, refund_post

pytestmark = pytest.mark.django_db

TOKEN = "t" * 43


@pytest.fixture
def paid(donor_client: Any, pledge_service: Any) -> Payment:
    pledge_service.add(41, receipt_token=TOKEN)
    return captured(donor_client)


def test_only_staff_read_a_refunds_reason(
    staff_client: Any, donor_client: Any, client: Any, paid: Payment
) -> None:
    made = refund_post(staff_client, paid.pk, {"amount": 300, "reason": "donor asked, by phone"})
    assert made.status_code == 201
    assert made.json()["reason"] == "donor asked, by phone"
    path = f"/api/payments/{paid.pk}/refunds"

    staff = staff_client.get(path).json()["results"]
    donor = donor_client.get(path).json()["results"]
    guest = client.get(f"{path}?receipt_token={TOKEN}").json()["results"]

    assert [r["reason"] for r in staff] == ["donor asked, by phone"]
    assert [r["reason"] for r in donor] == [None]
    assert [r["reason"] for r in guest] == [None]
    assert [r["amount"] for r in donor + guest] == [300, 300]
