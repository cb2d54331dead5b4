"""PAYMENT_REFUNDED (SPEC §4): the pledge's refunded amount only grows; all of it → REFUNDED."""

from __future__ import annotations

from typing import Any

import pytest

from careforall_common.outbox.models import OutboxEvent
from pledges.models import Pledge
from pledges.tests.factories import SIGNED_IN_BODY, payment_event, pledge_post

pytestmark = pytest.mark.django_db

CAPTURED, REFUNDED = "PAYMENT_CAPTURED", "PAYMENT_REFUNDED"


@pytest.fixture
def pledge(donor_client: Any, active_campaign: int) -> Pledge:
    pledge_post(donor_client, SIGNED_IN_BODY)
    return Pledge.objects.get()


def refund(
    client: Any, pledge: Pledge, refund_id: int, amount: int, total: int, **extra: Any
) -> str:
    return payment_event(
        client, REFUNDED, pledge, refund_id=refund_id, amount=amount, refunded_total=total, **extra
    )


def status_changes() -> list[tuple[str, str]]:
    events = OutboxEvent.objects.filter(event_type="PLEDGE_STATUS_CHANGED").order_by("id")
    return [(e.payload["previous_status"], e.payload["new_status"]) for e in events]


def test_partial_refunds_keep_it_captured_and_the_last_one_refunds_it(
    client: Any, pledge: Pledge
) -> None:
    payment_event(client, CAPTURED, pledge)

    assert refund(client, pledge, 1, 1_000, 1_000) == "processed"
    pledge.refresh_from_db()
    assert (pledge.status, pledge.refunded_amount) == ("CAPTURED", 1_000)

    assert refund(client, pledge, 2, 1_500, 2_500) == "processed"
    pledge.refresh_from_db()
    assert (pledge.status, pledge.refunded_amount) == ("REFUNDED", 2_500)
    assert status_changes() == [("PENDING", "CAPTURED"), ("CAPTURED", "REFUNDED")]
    assert state(pledge) == ("REFUNDED", 2_500)


def state(pledge: Pledge) -> tuple[str, int]:
    pledge.refresh_from_db()
    return pledge.status, pledge.refunded_amount


def test_refunds_in_any_order_and_repeated_count_their_total_once(
    client: Any, pledge: Pledge
) -> None:
    payment_event(client, CAPTURED, pledge)
    refund(client, pledge, 2, 1_500, 2_500)  # the second refund's event first
    refund(client, pledge, 1, 1_000, 1_000)
    refund(client, pledge, 2, 1_500, 2_500)  # again, under another event id

    assert state(pledge) == ("REFUNDED", 2_500)
    assert status_changes() == [("PENDING", "CAPTURED"), ("CAPTURED", "REFUNDED")]


def test_a_refund_in_full_before_the_capture_ends_refunded(client: Any, pledge: Pledge) -> None:
    refund(client, pledge, 1, 2_500, 2_500)
    payment_event(client, CAPTURED, pledge)  # late: nothing moves back

    assert state(pledge) == ("REFUNDED", 2_500)
    assert status_changes() == [("PENDING", "REFUNDED")]


@pytest.mark.parametrize(
    "change",
    [{"refunded_total": 2_501, "amount": 1}, {"currency": "eur"}, {"campaign_id": 8}],
)
def test_a_refund_that_cannot_be_the_pledges_is_rejected(
    client: Any, pledge: Pledge, change: dict[str, Any]
) -> None:
    payment_event(client, CAPTURED, pledge)
    values = {"refund_id": 1, "amount": 100, "refunded_total": 100, **change}

    assert payment_event(client, REFUNDED, pledge, **values) == "rejected"
    assert state(pledge) == ("CAPTURED", 0)


def test_a_refund_of_a_failed_pledge_is_rejected(client: Any, pledge: Pledge) -> None:
    payment_event(client, "PAYMENT_FAILED", pledge)

    assert refund(client, pledge, 1, 100, 100) == "rejected"
    assert state(pledge) == ("FAILED", 0)


def test_the_pledge_shows_what_came_back(donor_client: Any, client: Any, pledge: Pledge) -> None:
    payment_event(client, CAPTURED, pledge)
    refund(client, pledge, 1, 400, 400)

    body = donor_client.get(f"/api/pledges/{pledge.pk}").json()
    assert (body["status"], body["refunded_amount"]) == ("CAPTURED", 400)
