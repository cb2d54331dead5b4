"""``manage.py reconcile`` for failed refunds and recurring plans, against a real HTTP stand-in
for pledge_service (``reconciliation/tests/conftest.py``): its pledges' ``refunded_amount``
(less refunds that failed) and its plans (``GET /internal/plans``) are the truth.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from campaigns.models import Campaign, PlanProjection
from campaigns.tests.factories import (
    campaign_make,
    payment_refund_failed,
    payment_refunded,
    plan_changed,
    pledge_payload,
)
from reconciliation.tests.conftest import PledgeServiceStandIn
from reconciliation.tests.test_reconcile import project, run

pytestmark = pytest.mark.django_db

Deliver = Callable[..., list[str]]


def plan(campaign: Campaign, plan_id: int, **fields: Any) -> dict[str, Any]:
    """A plan as ``GET /internal/plans`` answers it."""
    return {
        "plan_id": plan_id,
        "campaign_id": campaign.pk,
        "status": "active",
        "amount": 1_000,
        "currency": "usd",
        "interval": "month",
        **fields,
    }


def plan_figures(campaign: Campaign) -> tuple[int, int]:
    stored = Campaign.objects.get(pk=campaign.pk)
    return stored.active_plans, stored.monthly_recurring_amount


def plan_rows(campaign: Campaign) -> list[tuple[Any, ...]]:
    rows = PlanProjection.objects.filter(campaign=campaign).order_by("pk")
    return list(rows.values_list("pk", "status", "amount", "interval", "monthly_amount"))


def test_a_failed_refund_counts_nothing_on_either_side(
    pledge_service: PledgeServiceStandIn, deliver: Deliver
) -> None:
    campaign = campaign_make()
    # pledge_service took the failed refund (200) out of the pledge's refunded_amount too.
    pledge_service.pledges = [
        {
            **pledge_payload(campaign, pledge_id=1, amount=500, status="CAPTURED"),
            "refunded_amount": 100,
        }
    ]
    project(deliver, pledge_service.pledges)
    deliver(
        payment_refunded(campaign, refund_id=1, pledge_id=1, amount=200, total=200),
        payment_refunded(campaign, refund_id=2, pledge_id=1, amount=100, total=300),
    )
    deliver(payment_refund_failed(campaign, refund_id=1, pledge_id=1, amount=200, total=100))
    assert run() == (0, ["1 campaign(s) checked, 0 difference(s) in 0 campaign(s)"])
    Campaign.objects.filter(pk=campaign.pk).update(refunded_amount=300)  # a planted error

    code, lines = run("--fix")

    assert code == 0
    assert lines[0] == f"campaign {campaign.pk}: refunded_amount: read model 300, truth 100"
    assert Campaign.objects.get(pk=campaign.pk).refunded_amount == 100
    assert run()[0] == 0


def test_plans_built_by_the_events_match_page_by_page(
    pledge_service: PledgeServiceStandIn, deliver: Deliver
) -> None:
    campaign = campaign_make()
    pledge_service.plans = [
        plan(campaign, 1),
        plan(campaign, 2, interval="year", amount=1_300, status="past_due"),
        plan(campaign, 3, status="canceled"),
        plan(campaign, 4, status="paused"),
        plan(campaign, 5, amount=250),
    ]
    events = [plan_changed(campaign, **p) for p in pledge_service.plans]
    assert set(deliver(*events)) == {"processed"}

    assert run() == (0, ["1 campaign(s) checked, 0 difference(s) in 0 campaign(s)"])
    assert [p for p in pledge_service.paths if p.startswith("/internal/plans")] == [
        f"/internal/plans?campaign_id={campaign.pk}",
        f"/internal/plans?campaign_id={campaign.pk}&after=2",
        f"/internal/plans?campaign_id={campaign.pk}&after=4",
    ]
    assert plan_figures(campaign) == (3, 1_000 + 108 + 250)


def test_plan_differences_are_reported_and_fix_repairs_them(
    pledge_service: PledgeServiceStandIn, deliver: Deliver
) -> None:
    campaign = campaign_make()
    c = campaign.pk
    deliver(
        plan_changed(campaign, plan_id=1, amount=1_000),
        plan_changed(campaign, plan_id=2, amount=2_000),
        plan_changed(campaign, plan_id=4, amount=4_000),  # pledge_service has no plan 4
    )
    # pledge_service: plan 1 now yearly, 2 as projected, 3 never projected (its event lost).
    pledge_service.plans = [
        plan(campaign, 1, amount=1_200, interval="year"),
        plan(campaign, 2, amount=2_000),
        plan(campaign, 3, amount=300),
    ]
    Campaign.objects.filter(pk=c).update(active_plans=9)  # a planted error
    an_hour_ago = timezone.now() - timedelta(hours=1)
    PlanProjection.objects.update(updated_at=an_hour_ago)

    code, lines = run()

    assert code == 1
    assert lines == [
        f"campaign {c}: active_plans: read model 9, truth 3",
        f"campaign {c}: monthly_recurring_amount: read model 7000, truth 2400",
        f"campaign {c}: plan 1 amount: read model 1000, truth 1200",
        f"campaign {c}: plan 1 interval: read model month, truth year",
        f"campaign {c}: plan 3: read model missing, truth active 300 usd a month",
        f"campaign {c}: plan 4: read model active 4000 usd a month, truth missing",
        "1 campaign(s) checked, 6 difference(s) in 1 campaign(s)",
    ]

    code, lines = run("--fix")

    assert code == 0
    assert plan_rows(campaign) == [
        (1, "active", 1_200, "year", 100),
        (2, "active", 2_000, "month", 2_000),
        (3, "active", 300, "month", 300),
    ]
    assert plan_figures(campaign) == (3, 2_400)
    assert run()[0] == 0
    # A repaired row still takes the plan's next event.
    deliver(
        plan_changed(
            campaign, plan_id=3, status="canceled", amount=300, occurred_at="2099-01-01T00:00:00Z"
        )
    )
    assert plan_figures(campaign) == (2, 2_100)


@pytest.mark.django_db(transaction=True)  # the row is written from the stand-in's thread
def test_a_plan_row_written_while_the_snapshot_is_read_is_kept(
    pledge_service: PledgeServiceStandIn, deliver: Deliver
) -> None:
    campaign = campaign_make()
    deliver(plan_changed(campaign, plan_id=1, status="paused"))
    pledge_service.plans = [plan(campaign, 1, status="active")]  # read before the pause
    written = timezone.now() + timedelta(hours=-2)  # a writer whose clock is far behind
    pledge_service.during_fetch = lambda: PlanProjection.objects.filter(pk=1).update(
        updated_at=written
    )

    code, lines = run("--fix")

    assert code == 1
    kept = "read model paused 1000 usd a month, truth active 1000 usd a month"
    assert f"not repaired: campaign {campaign.pk}: plan 1: {kept}" in lines
    assert plan_rows(campaign) == [(1, "paused", 1_000, "month", 0)]
    assert plan_figures(campaign) == (0, 0)


def test_plans_outside_the_contract_are_a_failed_run(
    pledge_service: PledgeServiceStandIn,
) -> None:
    campaign = campaign_make()
    pledge_service.plans = [plan(campaign, 1, interval="week")]

    code, lines = run()

    assert (code, lines) == (2, [])
