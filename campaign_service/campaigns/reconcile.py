"""Reconciliation: the read model against pledge_service's pledges (SPEC §5.2).

pledge_service is the truth; its signed internal read ``GET /internal/pledges`` lists a
campaign's pledges. Per campaign, the buckets and ``total_pledges`` are derived from that list and
the projection rows compared with it one by one. ``total_payments`` cannot be derived from
pledges: it is compared with this service's own audit trail (``PaymentEvent`` rows of captured
payments), which is what the projector counts. ``refunded_amount`` is compared with the sum of
the pledges' ``refunded_amount`` in pledge_service, pledge by pledge with this service's refund
rows; a repair sets it to the sum of those rows (one per refund id, so a refund event still on
its way adds its amount once when it comes) and reports what the rows do not hold yet.

A repair locks the campaign row (the projector's lock order), sets the projection rows to the
truth and the counters to the sums of the rows. It never undoes what it may not have seen: a row
ahead of the snapshot (a higher status rank, or a pledge the snapshot lacks) that the projector
touched after the snapshot began is kept and reported, so a live pipeline never moves backwards;
a second run, once the pipeline is quiet, settles it. "Touched" compares each row with itself as it
was read just before the snapshot, never two hosts' clocks: a skewed clock cannot make an
event's row look old.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import requests
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from campaigns import cache
from campaigns.models import (
    READ_MODEL_FIELDS,
    STATUS_BUCKET,
    STATUS_RANK,
    Campaign,
    PaymentEvent,
    PaymentEventType,
    PledgeProjection,
    PledgeStatus,
    RefundProjection,
)
from campaigns.projector import PledgeFacts, pledge_facts
from careforall_common.events import ContractError, PledgeCreated
from careforall_common.internal import internal_get

PAGE_SIZE = 500
HTTP_TIMEOUT = 10.0


class ReconcileError(Exception):
    """pledge_service could not be read, or answered outside its contract."""


@dataclass(frozen=True)
class TruePledge:
    facts: PledgeFacts
    donor_name: str
    anonymous: bool
    occurred_at: datetime
    refunded_amount: int = 0

    def row_values(self) -> dict[str, Any]:
        return {
            "amount": self.facts.amount,
            "currency": self.facts.currency,
            "status": self.facts.status,
            "donor_name": self.donor_name,
            "anonymous": self.anonymous,
            "occurred_at": self.occurred_at,
        }


@dataclass(frozen=True)
class Snapshot:
    """A campaign's pledges in pledge_service, when reading them began, and the projection rows
    (status, ``updated_at``) as they were just before."""

    campaign_id: int
    started_at: datetime
    pledges: dict[int, TruePledge]
    rows_before: dict[int, tuple[str, datetime]] = field(default_factory=dict)


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


@dataclass
class Outcome:
    differences: list[Difference] = field(default_factory=list)
    # What a repair left: rows newer than the snapshot, pledges of a campaign not here.
    unrepaired: list[Difference] = field(default_factory=list)


def snapshot_fetch(*, campaign_id: int) -> Snapshot:
    """Read all pledges of ``campaign_id`` from pledge_service, page by page."""
    started_at = timezone.now()
    rows_before = {
        pk: (status, updated_at)
        for pk, status, updated_at in PledgeProjection.objects.filter(
            campaign_id=campaign_id
        ).values_list("pk", "status", "updated_at")
    }
    pledges: dict[int, TruePledge] = {}
    after: int | None = None
    while True:
        query: dict[str, int] = {"campaign_id": campaign_id, "limit": PAGE_SIZE}
        if after is not None:
            query["after"] = after
        body = _get_json(f"/internal/pledges?{urlencode(query)}")
        try:
            for item in body["results"]:
                pledge = _true_pledge(item)
                pledges[pledge.facts.pledge_id] = pledge
            after = body["next_after"]
        except (KeyError, TypeError, ContractError) as error:
            raise ReconcileError(f"pledge_service answered outside the contract: {error}") from None
        if after is None:
            return Snapshot(
                campaign_id=campaign_id,
                started_at=started_at,
                pledges=pledges,
                rows_before=rows_before,
            )


def _get_json(path: str) -> Any:
    try:
        response = internal_get("pledge", path, timeout=HTTP_TIMEOUT)
    except requests.RequestException as error:
        raise ReconcileError(f"pledge_service unreachable: {error}") from None
    if response.status_code != 200:
        raise ReconcileError(f"pledge_service answered {response.status_code} to {path}")
    try:
        return response.json()
    except ValueError:
        raise ReconcileError(f"pledge_service answered {path} without JSON") from None


def _true_pledge(item: Any) -> TruePledge:
    """A pledge of the internal read: the payload of its ``PLEDGE_CREATED``, as it is now."""
    pledge = PledgeCreated.parse(item)
    if pledge.created_at is None:
        raise ContractError("created_at must be an ISO-8601 timestamp")
    refunded = item.get("refunded_amount", 0)
    if isinstance(refunded, bool) or not isinstance(refunded, int) or refunded < 0:
        raise ContractError("refunded_amount must be a non-negative integer")
    return TruePledge(
        facts=pledge_facts(pledge),
        donor_name=pledge.donor_name,
        anonymous=pledge.anonymous,
        occurred_at=pledge.created_at,
        refunded_amount=refunded,
    )


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
    return differences + _row_differences(snapshot, rows) + _refund_differences(snapshot)


def expected_counters(snapshot: Snapshot) -> dict[str, int]:
    """Return the campaign's read-model fields as the snapshot and the audit trail make them."""
    counters = dict.fromkeys(READ_MODEL_FIELDS, 0)
    for pledge in snapshot.pledges.values():
        counters[STATUS_BUCKET[pledge.facts.status]] += pledge.facts.amount
    counters["total_pledges"] = len(snapshot.pledges)
    counters["total_payments"] = _captured_payments(snapshot.campaign_id)
    counters["refunded_amount"] = sum(
        pledge.refunded_amount for pledge in snapshot.pledges.values()
    )
    return counters


def _refunds_by_pledge(campaign_id: int) -> dict[int, int]:
    return dict(
        RefundProjection.objects.filter(campaign_id=campaign_id)
        .values("pledge_id")
        .annotate(total=Sum("amount"))
        .order_by()
        .values_list("pledge_id", "total")
    )


def _refund_differences(snapshot: Snapshot) -> list[Difference]:
    """Pledge by pledge, the refunds counted here against what pledge_service says came back."""
    counted = _refunds_by_pledge(snapshot.campaign_id)
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


def _captured_payments(campaign_id: int) -> int:
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
                Difference(campaign_id, f"pledge {pledge_id}", _summary(row), _summary(pledge))
            )
        else:
            differences += [
                Difference(campaign_id, f"pledge {pledge_id} {name}", getattr(row, name), value)
                for name, value in pledge.row_values().items()
                if getattr(row, name) != value
            ]
    return differences


@transaction.atomic(durable=True)
def campaign_repair(*, snapshot: Snapshot) -> list[Difference]:
    """Set the campaign's read model to ``snapshot``; return the rows kept as newer.

    Holds the campaign row lock, as the projector does, so no event of the campaign is applied
    halfway through. The counters become the sums of the rows, kept rows included.
    """
    campaign_id = snapshot.campaign_id
    if not Campaign.objects.select_for_update().filter(pk=campaign_id).exists():
        return []
    rows = {
        row.pk: row
        for row in PledgeProjection.objects.select_for_update().filter(campaign_id=campaign_id)
    }
    kept = []
    for pledge_id in sorted(set(snapshot.pledges) | set(rows)):
        pledge, row = snapshot.pledges.get(pledge_id), rows.get(pledge_id)
        if row is not None and _touched(row, snapshot) and _ahead(row, pledge):
            kept.append(
                Difference(campaign_id, f"pledge {pledge_id}", _summary(row), _summary(pledge))
            )
        elif pledge is None:
            PledgeProjection.objects.filter(pk=pledge_id).delete()
        elif row is None or _row_differs(row, pledge):
            # A row filed under another campaign moves here: the truth says where it belongs.
            PledgeProjection.objects.update_or_create(
                pk=pledge_id, defaults={"campaign_id": campaign_id, **pledge.row_values()}
            )
    counters = _counters_from_rows(campaign_id)
    Campaign.objects.filter(pk=campaign_id).update(**counters)
    cache.campaigns_changed([campaign_id])
    # Refund rows are never made up: what they lack is an event still on its way.
    return kept + _refund_differences(snapshot)


def _touched(row: PledgeProjection, snapshot: Snapshot) -> bool:
    """Whether the projector wrote ``row`` since just before the snapshot was read."""
    return snapshot.rows_before.get(row.pk) != (row.status, row.updated_at)


def _ahead(row: PledgeProjection, pledge: TruePledge | None) -> bool:
    """Whether ``row`` may hold an event newer than the snapshot's view of its pledge."""
    if pledge is None:
        return True  # a pledge made after the snapshot was read
    return STATUS_RANK[PledgeStatus(row.status)] > STATUS_RANK[pledge.facts.status]


def _row_differs(row: PledgeProjection, pledge: TruePledge) -> bool:
    return any(getattr(row, name) != value for name, value in pledge.row_values().items())


def _summary(pledge: PledgeProjection | TruePledge | None) -> str:
    if pledge is None:
        return "missing"
    if isinstance(pledge, TruePledge):
        return f"{pledge.facts.status} {pledge.facts.amount} {pledge.facts.currency}"
    return f"{pledge.status} {pledge.amount} {pledge.currency}"


def _counters_from_rows(campaign_id: int) -> dict[str, int]:
    counters = dict.fromkeys(READ_MODEL_FIELDS, 0)
    sums = (
        PledgeProjection.objects.filter(campaign_id=campaign_id)
        .values("status")
        .annotate(total=Sum("amount"), count=Count("pk"))
        .order_by()
    )
    for item in sums:
        counters[STATUS_BUCKET[PledgeStatus(item["status"])]] += item["total"]
        counters["total_pledges"] += item["count"]
    counters["total_payments"] = _captured_payments(campaign_id)
    counters["refunded_amount"] = sum(_refunds_by_pledge(campaign_id).values())
    return counters


def reconcile(*, campaign_ids: Iterable[int], fix: bool) -> Outcome:
    """Compare, and with ``fix`` repair, each campaign in turn; return what differed."""
    outcome = Outcome()
    for campaign_id in campaign_ids:
        snapshot = snapshot_fetch(campaign_id=campaign_id)
        differences = campaign_compare(snapshot=snapshot)
        outcome.differences += differences
        if not fix or not differences:
            continue
        if Campaign.objects.filter(pk=campaign_id).exists():
            outcome.unrepaired += campaign_repair(snapshot=snapshot)
        else:
            outcome.unrepaired += differences  # pledges of a campaign this service lacks
    return outcome
