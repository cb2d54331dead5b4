"""PAYMENT_REFUND_FAILED: a partial refund the provider failed after it succeeded is taken out of
the pledge's refunded amount, once, whatever the repeats and the order."""

from __future__ import annotations

from typing import Any

import pytest

from careforall_common.outbox.models import OutboxEvent
from notices.models import Notice, NoticeKind
from pledges.models import Pledge, RefundFailure
from pledges.tests.factories import SIGNED_IN_BODY, payment_event, pledge_post

pytestmark = pytest.mark.django_db

CAPTURED, REFUNDED, FAILED = "PAYMENT_CAPTURED", "PAYMENT_REFUNDED", "PAYMENT_REFUND_FAILED"


@pytest.fixture
def pledge(client: Any, donor_client: Any, active_campaign: int) -> Pledge:
    pledge_post(donor_client, SIGNED_IN_BODY)  # 2_500
    pledge = Pledge.objects.get()
    payment_event(client, CAPTURED, pledge)
    return pledge


def refund(client: Any, pledge: Pledge, refund_id: int, amount: int, total: int) -> str:
    return payment_event(
        client, REFUNDED, pledge, refund_id=refund_id, amount=amount, refunded_total=total
    )


def failed(client: Any, pledge: Pledge, refund_id: int, amount: int, total: int, **kw: Any) -> str:
    values: dict[str, Any] = {"refund_id": refund_id, "amount": amount, "refunded_total": total}
    return payment_event(client, FAILED, pledge, **{**values, **kw})


def state(pledge: Pledge) -> tuple[str, int]:
    pledge.refresh_from_db()
    return pledge.status, pledge.refunded_amount


def refund_notices() -> list[str]:
    return sorted(Notice.objects.filter(kind=NoticeKind.REFUND).values_list("key", flat=True))


def status_changes() -> list[tuple[str, str]]:
    events = OutboxEvent.objects.filter(event_type="PLEDGE_STATUS_CHANGED").order_by("id")
    return [(e.payload["previous_status"], e.payload["new_status"]) for e in events]


def test_a_failed_partial_refund_takes_its_amount_out_once(client: Any, pledge: Pledge) -> None:
    refund(client, pledge, 1, 1_000, 1_000)
    refund(client, pledge, 2, 500, 1_500)

    assert failed(client, pledge, 1, 1_000, 500) == "processed"
    assert state(pledge) == ("CAPTURED", 500)
    assert failed(client, pledge, 1, 1_000, 500) == "processed"  # again, another event id
    assert state(pledge) == ("CAPTURED", 500)
    assert RefundFailure.objects.count() == 1
    assert refund_notices() == ["1", "2"]  # the notices sent stay sent; none is added
    assert status_changes() == [("PENDING", "CAPTURED")]


def test_the_failed_refund_s_own_event_again_or_late_counts_nothing(
    client: Any, pledge: Pledge
) -> None:
    refund(client, pledge, 1, 1_000, 1_000)
    failed(client, pledge, 1, 1_000, 0)
    refund(client, pledge, 1, 1_000, 1_000)  # redelivered under another event id

    assert state(pledge) == ("CAPTURED", 0)
    assert refund_notices() == ["1"]


def test_a_failure_before_its_refund_leaves_that_refund_uncounted(
    client: Any, pledge: Pledge
) -> None:
    failed(client, pledge, 1, 1_000, 0)
    refund(client, pledge, 1, 1_000, 1_000)

    assert state(pledge) == ("CAPTURED", 0)
    assert refund_notices() == []  # no "money is on its way" for money that is not


def test_a_later_refund_counts_from_the_lowered_total(client: Any, pledge: Pledge) -> None:
    refund(client, pledge, 1, 1_000, 1_000)
    failed(client, pledge, 1, 1_000, 0)
    refund(client, pledge, 2, 2_500, 2_500)  # the whole of it, made after the failure

    assert state(pledge) == ("REFUNDED", 2_500)
    assert status_changes() == [("PENDING", "CAPTURED"), ("CAPTURED", "REFUNDED")]


def test_a_refunded_pledge_never_moves_back(client: Any, pledge: Pledge) -> None:
    refund(client, pledge, 1, 2_500, 2_500)

    assert failed(client, pledge, 1, 2_500, 0) == "processed"
    assert state(pledge) == ("REFUNDED", 2_500)
    assert status_changes() == [("PENDING", "CAPTURED"), ("CAPTURED", "REFUNDED")]


def test_a_failure_never_raises_the_amount(client: Any, pledge: Pledge) -> None:
    refund(client, pledge, 1, 300, 300)
    failed(client, pledge, 9, 100, 700)  # says more than the pledge has had back: kept as it is

    assert state(pledge) == ("CAPTURED", 300)


@pytest.mark.parametrize(
    "change", [{"currency": "eur"}, {"campaign_id": 8}, {"refunded_total": 2_501}]
)
def test_a_failure_that_cannot_be_the_pledge_s_is_rejected(
    client: Any, pledge: Pledge, change: dict[str, Any]
) -> None:
    refund(client, pledge, 1, 1_000, 1_000)

    assert failed(client, pledge, 1, 1_000, 0, **change) == "rejected"
    assert state(pledge) == ("CAPTURED", 1_000)
    assert RefundFailure.objects.count() == 0


def test_a_failure_of_an_unknown_pledge_is_rejected(client: Any, pledge: Pledge) -> None:
    other = Pledge(pk=pledge.pk + 100, campaign_id=7, amount=2_500, currency="usd")

    assert failed(client, other, 1, 1_000, 0) == "rejected"
