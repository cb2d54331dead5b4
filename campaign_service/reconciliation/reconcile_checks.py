"""Reconciliation's comparison: the read model against pledge_service's pledges (SPEC §5.2).

Per campaign, the buckets and ``total_pledges`` are derived from the snapshot and the projection
rows compared with it one by one. ``total_payments`` cannot be derived from pledges: it is
compared with this service's own audit trail (``PaymentEvent`` rows of captured payments), which
is what the projector counts. ``refunded_amount`` is compared with the sum of the pledges'
``refunded_amount`` in pledge_service, pledge by pledge with this service's refund rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Sum

from campaigns.models import (
    READ_MODEL_FIELDS,
    Campaign,
    PaymentEvent,
    PaymentEventType,
    PledgeProjection,
    RefundProjection,
)
from careforall_common.contracts.transitions import PLEDGE_STATUS_BUCKET
from reconciliation.snapshots import Snapshot, TruePledge


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
        if not snapshot.pledges:
            return []
        return [Difference(campaign_id, "campaign", "missing", f"{len(snapshot.pledges)} pledges")]
    differences = [
        Difference(campaign_id, name, getattr(campaign, name), value)
        for name, value in expected_counters(snapshot).items()
        if getattr(campaign, name) != value
    ]
    rows = {row.pk: row for row in PledgeProjection.objects.filter(campaign_id=campaign_id)}
    return differences + _row_differences(snapshot, rows) + refund_differences(snapshot)


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


def refunds_by_pledge(campaign_id: int) -> dict[int, int]:
    return dict(
        RefundProjection.objects.filter(campaign_id=campaign_id)
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
