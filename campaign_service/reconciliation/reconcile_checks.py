"""Reconciliation's comparison: the read model against pledge_service's pledges (SPEC §5.2).

Per campaign, the buckets and ``total_pledges`` are derived from the snapshot and the projection
rows compared with it one by one. ``total_payments`` cannot be derived from pledges: it is
compared with this service's own audit trail (``PaymentEvent`` rows of captured payments), which
is what the projector counts. ``refunded_amount`` is compared with the sum of the pledges'
``refunded_amount`` in pledge_service, pledge by pledge with this service's refund rows not
failed. ``active_plans`` and ``monthly_recurring_amount`` are derived from pledge_service's
recurring plans, and each plan row compared with its plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Sum

from campaigns.models import (
    COUNTED_PLAN_STATUSES,
    READ_MODEL_FIELDS,
    Campaign,
    PaymentEvent,
    PaymentEventType,
    PlanProjection,
    PledgeProjection,
    RefundProjection,
)
from careforall_common.contracts.transitions import PLEDGE_STATUS_BUCKET
from reconciliation.snapshots import Snapshot, TruePlan, TruePledge


@dataclass(frozen=True)
class Difference:
    campaign_id: int
    field: str
    read_model: object
    truth: object

    def __str__(self) -> str:
        return (
            f"campaign {self.campaign_id}: {self.field}: "
            f"read model {_shown(self.read_model)}, truth {_shown(self.truth)}"
        )


def _shown(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return '""' if value == "" else str(value)


def campaign_compare(*, snapshot: Snapshot) -> list[Difference]:
    """Return every difference between the read model of the campaign and ``snapshot``."""
    campaign_id = snapshot.campaign_id
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        if not snapshot.pledges and not snapshot.plans:
            return []
        truth = f"{len(snapshot.pledges)} pledges"
        truth += f", {len(snapshot.plans)} plans" if snapshot.plans else ""
        return [Difference(campaign_id, "campaign", "missing", truth)]
    expected = {**expected_counters(snapshot), **expected_plan_counters(snapshot)}
    differences = [
        Difference(campaign_id, name, getattr(campaign, name), value)
        for name, value in expected.items()
        if getattr(campaign, name) != value
    ]
    rows = {row.pk: row for row in PledgeProjection.objects.filter(campaign_id=campaign_id)}
    return (
        differences
        + _row_differences(snapshot, rows)
        + refund_differences(snapshot)
        + plan_differences(snapshot)
    )


def expected_counters(snapshot: Snapshot) -> dict[str, int]:
    """Return the campaign's read-model fields as the snapshot and the audit trail make them."""
    counters = dict.fromkeys(READ_MODEL_FIELDS, 0)
    for pledge in snapshot.pledges.values():
        counters[PLEDGE_STATUS_BUCKET[pledge.facts.status]] += pledge.facts.amount
    counters["total_pledges"] = len(snapshot.pledges)
    counters["total_payments"] = captured_payments(snapshot.campaign_id)
    counters["refunded_amount"] = sum(
        pledge.refunded_amount for pledge in snapshot.pledges.values()
    )
    return counters


def expected_plan_counters(snapshot: Snapshot) -> dict[str, int]:
    """``active_plans`` and ``monthly_recurring_amount`` as pledge_service's plans make them."""
    plans = snapshot.plans.values()
    return {
        "active_plans": sum(plan.plan.status in COUNTED_PLAN_STATUSES for plan in plans),
        "monthly_recurring_amount": sum(plan.monthly_amount for plan in plans),
    }


def plan_differences(snapshot: Snapshot) -> list[Difference]:
    """Plan by plan, the projection rows against pledge_service's plans."""
    campaign_id = snapshot.campaign_id
    rows = {row.pk: row for row in PlanProjection.objects.filter(campaign_id=campaign_id)}
    differences = []
    for plan_id in sorted(set(snapshot.plans) | set(rows)):
        plan, row = snapshot.plans.get(plan_id), rows.get(plan_id)
        if row is None or plan is None:
            differences.append(
                Difference(campaign_id, f"plan {plan_id}", plan_summary(row), plan_summary(plan))
            )
            continue
        differences += [
            Difference(campaign_id, f"plan {plan_id} {name}", getattr(row, name), value)
            for name, value in plan.row_values().items()
            if getattr(row, name) != value
        ]
    return differences


def plan_summary(plan: PlanProjection | TruePlan | None) -> str:
    if plan is None:
        return "missing"
    shown = plan.plan if isinstance(plan, TruePlan) else plan
    return f"{shown.status} {shown.amount} {shown.currency} a {shown.interval}"


def refunds_by_pledge(campaign_id: int) -> dict[int, int]:
    """What the refund rows count per pledge: refunds that failed count nothing."""
    return dict(
        RefundProjection.objects.filter(campaign_id=campaign_id, failed_at__isnull=True)
        .values("pledge_id")
        .annotate(total=Sum("amount"))
        .order_by()
        .values_list("pledge_id", "total")
    )


def refund_differences(snapshot: Snapshot) -> list[Difference]:
    """Pledge by pledge, the refunds counted here against what pledge_service says came back."""
    counted = refunds_by_pledge(snapshot.campaign_id)
    truth = {
        pledge_id: pledge.refunded_amount
        for pledge_id, pledge in snapshot.pledges.items()
        if pledge.refunded_amount
    }
    return [
        Difference(
            snapshot.campaign_id,
            f"pledge {pledge_id} refunded_amount",
            counted.get(pledge_id, 0),
            truth.get(pledge_id, 0),
        )
        for pledge_id in sorted(set(counted) | set(truth))
        if counted.get(pledge_id, 0) != truth.get(pledge_id, 0)
    ]


def captured_payments(campaign_id: int) -> int:
    return PaymentEvent.objects.filter(
        campaign_id=campaign_id, event_type=PaymentEventType.CAPTURED
    ).count()


def _row_differences(snapshot: Snapshot, rows: dict[int, PledgeProjection]) -> list[Difference]:
    differences = []
    campaign_id = snapshot.campaign_id
    for pledge_id in sorted(set(snapshot.pledges) | set(rows)):
        pledge, row = snapshot.pledges.get(pledge_id), rows.get(pledge_id)
        if row is None or pledge is None:
            differences.append(
                Difference(
                    campaign_id, f"pledge {pledge_id}", pledge_summary(row), pledge_summary(pledge)
                )
            )
        else:
            differences += [
                Difference(campaign_id, f"pledge {pledge_id} {name}", getattr(row, name), value)
                for name, value in pledge.row_values().items()
                if getattr(row, name) != value
            ]
    return differences


def pledge_summary(pledge: PledgeProjection | TruePledge | None) -> str:
    if pledge is None:
        return "missing"
    if isinstance(pledge, TruePledge):
        return f"{pledge.facts.status} {pledge.facts.amount} {pledge.facts.currency}"
    return f"{pledge.status} {pledge.amount} {pledge.currency}"
