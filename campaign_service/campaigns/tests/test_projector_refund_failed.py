"""``PAYMENT_REFUND_FAILED`` through POST /internal/events: a refund un-counted, exactly once.

A refund the provider reported succeeded and then failed left the money with the charity: its
row is marked failed and its amount leaves ``refunded_amount``, whatever the repeats and the
order (the failure may be projected before the refund itself).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from campaigns.models import Campaign, RefundProjection
from campaigns.tests.factories import (
    campaign_make,
    payment_refund_failed,
    payment_refunded,
    pledge_events,
    pledge_payload,
)

pytestmark = pytest.mark.django_db

Deliver = Callable[..., list[str]]


def money(campaign: Campaign) -> tuple[int, int, int]:
    stored = Campaign.objects.get(pk=campaign.pk)
    return stored.captured_amount, stored.refunded_amount, stored.current_amount


def failed_refunds() -> dict[int, bool]:
    return {row.pk: row.failed for row in RefundProjection.objects.order_by("pk")}


@pytest.fixture
def captured(deliver: Deliver) -> Campaign:
    """A campaign with one captured pledge of 1,000 (pledge 1, payment 1)."""
    campaign = campaign_make()
    pledge = pledge_payload(campaign, pledge_id=1, amount=1_000, status="CAPTURED")
    assert set(deliver(*pledge_events(pledge))) == {"processed"}
    return campaign


def test_a_failed_refund_leaves_refunded_amount_once(
    deliver: Deliver, captured: Campaign, client: Any
) -> None:
    deliver(payment_refunded(captured, refund_id=5, pledge_id=1, amount=400, total=400))
    deliver(payment_refunded(captured, refund_id=6, pledge_id=1, amount=100, total=500))
    assert money(captured) == (1_000, 500, 500)
    failure = payment_refund_failed(captured, refund_id=5, pledge_id=1, amount=400, total=100)

    outcome = deliver(failure, failure, {**failure, "event_id": str(uuid.uuid4())})

    assert outcome == ["processed", "duplicate", "processed"]
    assert money(captured) == (1_000, 100, 900)
    assert failed_refunds() == {5: True, 6: False}
    body = client.get(f"/api/campaigns/{captured.pk}").json()
    assert (body["refunded_amount"], body["current_amount"]) == (100, 900)


def test_a_failure_before_its_refund_makes_the_refund_count_nothing(
    deliver: Deliver, captured: Campaign
) -> None:
    assert deliver(payment_refund_failed(captured, refund_id=5, pledge_id=1, amount=400)) == [
        "processed"
    ]
    assert money(captured) == (1_000, 0, 1_000)

    refund = payment_refunded(captured, refund_id=5, pledge_id=1, amount=400, total=400)
    assert deliver(refund, {**refund, "event_id": str(uuid.uuid4())}) == ["processed"] * 2

    assert money(captured) == (1_000, 0, 1_000)
    assert failed_refunds() == {5: True}


@pytest.mark.parametrize("failure_first", [True, False])
def test_a_refund_and_its_failure_in_one_batch_end_uncounted(
    deliver: Deliver, captured: Campaign, failure_first: bool
) -> None:
    refund = payment_refunded(captured, refund_id=5, pledge_id=1, amount=400, total=400)
    failure = payment_refund_failed(captured, refund_id=5, pledge_id=1, amount=400)
    events = [failure, refund] if failure_first else [refund, failure]

    assert (
        deliver(*events, payment_refunded(captured, refund_id=6, pledge_id=1, amount=50))
        == ["processed"] * 3
    )

    assert money(captured) == (1_000, 50, 950)
    assert failed_refunds() == {5: True, 6: False}


def test_the_amount_on_record_leaves_whatever_the_failure_says(
    deliver: Deliver, captured: Campaign
) -> None:
    deliver(payment_refunded(captured, refund_id=5, pledge_id=1, amount=400, total=400))

    deliver(payment_refund_failed(captured, refund_id=5, pledge_id=1, amount=900))

    assert money(captured) == (1_000, 0, 1_000)


def test_a_failure_of_an_unknown_campaign_or_of_another_campaigns_refund_is_rejected(
    deliver: Deliver, captured: Campaign
) -> None:
    other = campaign_make()
    deliver(payment_refunded(captured, refund_id=5, pledge_id=1, amount=400, total=400))
    unknown = payment_refund_failed(captured, refund_id=7, pledge_id=1, amount=400)
    unknown["payload"]["campaign_id"] = 999_999

    outcome = deliver(unknown, payment_refund_failed(other, refund_id=5, pledge_id=1, amount=400))

    assert outcome == ["rejected", "rejected"]
    assert money(captured) == (1_000, 400, 600)
    assert failed_refunds() == {5: False}
