"""The scheduler (docs/recurring.md "The schedule", guarantee 11): each period that fell due is
charged once, in order, whatever runs it concurrently; one more than 7 days late is skipped."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from careforall_common.testing import concurrency
from plans.models import Installment, RecurringPlan
from plans.schedules import WhenPlansDue
from plans.selectors import plans_due_exist
from plans.services.schedule import plans_charge_due
from plans.tests.conftest import FakePaymentService
from plans.tests.factories import active_plan, outbox
from pledges.models import CampaignFacts

DAY = 2.0  # seconds per schedule day: a month is a minute


@pytest.fixture(autouse=True)
def _compressed_clock(settings: Any) -> None:
    settings.RECURRING_DAY_SECONDS = DAY


@pytest.fixture
def plan(
    client: Any, donor_client: Any, active_campaign: int, payment_service: FakePaymentService
) -> RecurringPlan:
    return active_plan(client, donor_client)


def periods(plan: RecurringPlan) -> list[tuple[int, int, str]]:
    return list(
        plan.installments.order_by("period", "attempt").values_list("period", "attempt", "status")
    )


def due_ago(plan: RecurringPlan, days: float) -> None:
    """Anchor the plan so that its period 1 fell due ``days`` schedule days ago."""
    anchor = timezone.now() - timedelta(seconds=(30 + days) * DAY)
    RecurringPlan.objects.filter(pk=plan.pk).update(
        anchor_at=anchor, next_charge_at=anchor + timedelta(seconds=30 * DAY)
    )


@pytest.mark.django_db
def test_a_due_plan_gets_one_installment_its_pledge_and_installment_due(
    plan: RecurringPlan,
) -> None:
    due_ago(plan, 0.5)

    assert plans_charge_due(drain_seconds=5) == 1

    installment = Installment.objects.get(plan=plan, period=1)
    assert installment.pledge is not None
    assert (installment.pledge.plan_id, installment.pledge.status) == (plan.pk, "PENDING")
    [event] = outbox("INSTALLMENT_DUE")
    assert (event.destination, event.aggregate_type, event.aggregate_id) == (
        "payment",
        "plan",
        plan.pk,
    )
    assert event.payload == {
        "plan_id": plan.pk,
        "pledge_id": installment.pledge_id,
        "campaign_id": 7,
        "user_id": 2,
        "amount": 1_500,
        "currency": "usd",
        "period": 1,
        "attempt": 1,
        "receipt_token_hash": None,  # a signed-in donor's: guests' carry their token's hash
    }
    plan.refresh_from_db()
    assert plan.anchor_at is not None
    assert (plan.next_period, plan.next_charge_at) == (
        2,
        plan.anchor_at + timedelta(seconds=60 * DAY),
    )
    assert outbox("PLEDGE_CREATED")[-1].payload["pledge_id"] == installment.pledge_id


@pytest.mark.django_db
def test_an_idle_platform_sends_no_task(plan: RecurringPlan) -> None:
    assert plans_due_exist() is False
    assert WhenPlansDue(10.0).is_due(timezone.now() - timedelta(seconds=60)).is_due is False
    assert plans_charge_due(drain_seconds=5) == 0

    due_ago(plan, 0.1)
    assert plans_due_exist() is True
    assert WhenPlansDue(10.0).is_due(timezone.now() - timedelta(seconds=60)).is_due is True


@pytest.mark.django_db
def test_after_an_outage_each_period_due_within_7_days_is_charged_once_in_order(
    plan: RecurringPlan,
) -> None:
    # Periods 1..4 fell due 95, 65, 35 and 5 days ago: 1..3 are skipped, 4 is charged.
    due_ago(plan, 95)

    assert plans_charge_due(drain_seconds=5) == 1
    assert plans_charge_due(drain_seconds=5) == 0

    assert periods(plan) == [
        (0, 1, "captured"), (1, 1, "skipped"), (2, 1, "skipped"), (3, 1, "skipped"),
        (4, 1, "pending"),
    ]  # fmt: skip
    assert Installment.objects.filter(plan=plan, status="skipped", pledge=None).count() == 3
    assert len(outbox("INSTALLMENT_DUE")) == 1


@pytest.mark.django_db
def test_periods_that_fell_due_less_than_7_days_ago_are_all_charged(
    settings: Any, plan: RecurringPlan
) -> None:
    settings.RECURRING_SKIP_AFTER_DAYS = 70.0  # so that two periods are in the catch-up window
    due_ago(plan, 65)

    assert plans_charge_due(drain_seconds=5) == 3

    assert periods(plan) == [(0, 1, "captured"), (1, 1, "pending"), (2, 1, "pending"),
                             (3, 1, "pending")]  # fmt: skip
    assert [e.payload["period"] for e in outbox("INSTALLMENT_DUE")] == [1, 2, 3]


@pytest.mark.django_db
def test_a_paused_plan_is_not_charged(plan: RecurringPlan) -> None:
    due_ago(plan, 0.5)
    RecurringPlan.objects.filter(pk=plan.pk).update(status="paused")

    assert plans_charge_due(drain_seconds=5) == 0
    assert periods(plan) == [(0, 1, "captured")]


@pytest.mark.django_db
def test_a_plan_of_a_closed_campaign_is_canceled_not_charged(plan: RecurringPlan) -> None:
    due_ago(plan, 0.5)
    # The campaign's facts say closed, but its plans were not canceled yet (an event in flight).
    CampaignFacts.objects.filter(campaign_id=7).update(status="closed")

    assert plans_charge_due(drain_seconds=5) == 0

    plan.refresh_from_db()
    assert (plan.status, plan.cancel_reason) == ("canceled", "campaign_closed")


RUNS = 5


@pytest.mark.django_db(transaction=True)
def test_concurrent_schedulers_make_one_installment_per_period(
    client: Any, donor_client: Any, active_campaign: int, payment_service: FakePaymentService
) -> None:
    plans = [active_plan(client, donor_client) for _ in range(3)]
    for run in range(RUNS):
        # Each run: every plan's next period is due now.
        RecurringPlan.objects.filter(pk__in=[p.pk for p in plans]).update(
            next_charge_at=timezone.now()
        )

        made = concurrency.race([lambda: plans_charge_due(drain_seconds=5) for _ in range(4)])

        assert sum(made) == len(plans)
        for plan in plans:
            assert periods(plan)[-1] == (run + 1, 1, "pending")
    for plan in plans:
        assert [p for p, _, _ in periods(plan)] == list(range(RUNS + 1))
    assert len(outbox("INSTALLMENT_DUE")) == RUNS * len(plans)
