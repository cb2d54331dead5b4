"""``PLAN_CHANGED`` through POST /internal/events: ``active_plans`` and
``monthly_recurring_amount`` (SPEC §3 "Recurring gifts"), exact whatever the repeats and order.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from campaigns.models import Campaign, PlanProjection
from campaigns.tests.factories import campaign_make, plan_changed

pytestmark = pytest.mark.django_db

Deliver = Callable[..., list[str]]


def at(minute: int) -> str:
    return f"2025-03-01T12:{minute:02d}:00Z"


def plans(campaign: Campaign) -> tuple[int, int]:
    stored = Campaign.objects.get(pk=campaign.pk)
    return stored.active_plans, stored.monthly_recurring_amount


def test_active_and_past_due_plans_count_a_yearly_one_a_twelfth_rounded_down(
    deliver: Deliver, client: Any
) -> None:
    campaign = campaign_make()

    outcome = deliver(
        plan_changed(campaign, plan_id=1, amount=1_000),
        plan_changed(campaign, plan_id=2, amount=1_300, interval="year", status="past_due"),
        plan_changed(campaign, plan_id=3, amount=500, status="incomplete"),
        plan_changed(campaign, plan_id=4, amount=700, status="paused"),
        plan_changed(campaign, plan_id=5, amount=11, interval="year"),
    )

    assert outcome == ["processed"] * 5
    assert plans(campaign) == (3, 1_000 + 108 + 0)
    body = client.get(f"/api/campaigns/{campaign.pk}").json()
    assert (body["active_plans"], body["monthly_recurring_amount"]) == (3, 1_108)
    row = PlanProjection.objects.get(pk=2)
    assert (row.status, row.amount, row.interval, row.monthly_amount) == (
        "past_due",
        1_300,
        "year",
        108,
    )


def test_a_plans_life_moves_the_figures_by_each_difference(deliver: Deliver) -> None:
    campaign = campaign_make()
    life = [
        ("incomplete", 1_000, "month", (0, 0)),
        ("active", 1_000, "month", (1, 1_000)),
        ("active", 2_400, "month", (1, 2_400)),
        ("past_due", 2_400, "month", (1, 2_400)),
        ("active", 2_400, "year", (1, 200)),
        ("paused", 2_400, "year", (0, 0)),
        ("active", 2_400, "year", (1, 200)),
        ("canceled", 2_400, "year", (0, 0)),
    ]

    for minute, (status, amount, interval, expected) in enumerate(life):
        event = plan_changed(
            campaign,
            plan_id=1,
            status=status,
            amount=amount,
            interval=interval,
            occurred_at=at(minute),
        )
        assert deliver(event) == ["processed"]
        assert plans(campaign) == expected, status


def test_repeats_move_nothing(deliver: Deliver) -> None:
    campaign = campaign_make()
    event = plan_changed(campaign, plan_id=1, amount=1_000)

    outcome = deliver(event, event, {**event, "event_id": str(uuid.uuid4())})
    again = deliver({**event, "event_id": str(uuid.uuid4())})

    assert (outcome, again) == (["processed", "duplicate", "processed"], ["processed"])
    assert plans(campaign) == (1, 1_000)


def test_a_late_repeat_of_an_older_state_is_ignored(deliver: Deliver) -> None:
    campaign = campaign_make()
    first = plan_changed(campaign, plan_id=1, amount=1_000, occurred_at=at(1))
    deliver(first)
    deliver(plan_changed(campaign, plan_id=1, amount=3_000, occurred_at=at(2)))
    deliver(plan_changed(campaign, plan_id=1, status="paused", amount=3_000, occurred_at=at(3)))

    assert deliver({**first, "event_id": str(uuid.uuid4())}) == ["processed"]

    assert plans(campaign) == (0, 0)
    assert PlanProjection.objects.get(pk=1).status == "paused"


def test_nothing_moves_a_canceled_plan_back(deliver: Deliver) -> None:
    campaign = campaign_make()
    deliver(plan_changed(campaign, plan_id=1, status="canceled", occurred_at=at(5)))

    deliver(
        plan_changed(campaign, plan_id=1, status="active", occurred_at=at(1)),
        plan_changed(campaign, plan_id=1, status="active", occurred_at=at(9)),
    )

    assert plans(campaign) == (0, 0)
    assert PlanProjection.objects.get(pk=1).status == "canceled"


def test_a_plans_events_folded_in_one_batch_count_once(deliver: Deliver) -> None:
    campaign, other = campaign_make(), campaign_make()

    outcome = deliver(
        plan_changed(campaign, plan_id=1, status="incomplete", occurred_at=at(1)),
        plan_changed(other, plan_id=2, amount=600, occurred_at=at(1)),
        plan_changed(campaign, plan_id=1, status="active", occurred_at=at(2)),
        plan_changed(campaign, plan_id=1, status="active", amount=1_500, occurred_at=at(3)),
        plan_changed(campaign, plan_id=1, status="active", occurred_at=at(2)),  # late repeat
        plan_changed(other, plan_id=3, amount=1_200, interval="year", occurred_at=at(1)),
    )

    assert outcome == ["processed"] * 6
    assert (plans(campaign), plans(other)) == ((1, 1_500), (2, 700))


def test_an_unknown_campaign_or_a_plan_of_another_campaign_is_rejected(deliver: Deliver) -> None:
    campaign, other = campaign_make(), campaign_make()
    deliver(plan_changed(campaign, plan_id=1, amount=1_000))

    outcome = deliver(
        plan_changed(999_999, plan_id=2),
        plan_changed(other, plan_id=1, amount=5_000, occurred_at=at(30)),
    )

    assert outcome == ["rejected", "rejected"]
    assert (plans(campaign), plans(other)) == ((1, 1_000), (0, 0))
    assert PlanProjection.objects.count() == 1
