"""Reconciliation: prove the read model exact against pledge_service's pledges (SPEC §5.2).

``reconciliation_run`` compares (``reconcile_checks``) each campaign with a snapshot of its
pledges (``snapshots``), repairs with ``fix``, and records the run.

A repair locks the campaign row (the projector's lock order), sets the projection rows to the
truth and the counters to the sums of the rows. It never undoes what it may not have seen: a row
ahead of the snapshot (a higher status rank, or a pledge the snapshot lacks) that the projector
touched after the snapshot began is kept and reported, so a live pipeline never moves backwards;
a second run, once the pipeline is quiet, settles it. "Touched" compares each row with itself as
it was read just before the snapshot, never two hosts' clocks: a skewed clock cannot make an
event's row look old. ``refunded_amount`` is set to the sum of this service's refund rows (one
per refund id, so a refund event still on its way adds its amount once when it comes); what the
rows do not hold yet is reported. Plan rows are set to pledge_service's plans the same way (a row
the projector touched since the snapshot began is kept and reported), and ``active_plans`` and
``monthly_recurring_amount`` to the sums of the rows. Each campaign's transparency log is checked
against the read model's payments and refunds too (``log_checks``); its repair only appends.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from campaigns.models import (
    COUNTED_PLAN_STATUSES,
    READ_MODEL_FIELDS,
    Campaign,
    PlanProjection,
    PledgeProjection,
)
from campaigns.services import campaign_totals_set
from careforall_common.contracts.statuses import PledgeStatus
from careforall_common.contracts.transitions import PLEDGE_RANK, PLEDGE_STATUS_BUCKET
from reconciliation.clients.pledges import ReconcileError, campaign_ids_with_pledges
from reconciliation.log_checks import log_differences, log_repair
from reconciliation.models import MAX_SUMMARY_LENGTH, ReconciliationRun, ReconciliationTrigger
from reconciliation.reconcile_checks import (
    Difference,
    campaign_compare,
    captured_payments,
    plan_summary,
    pledge_summary,
    refund_differences,
    refunds_by_pledge,
)
from reconciliation.snapshots import Snapshot, TruePledge, snapshot_fetch

# A plan row the repair inserts shows the plan as of a moment before the snapshot began, less
# this much for the clocks of two hosts: any event of the plan newer than that still applies.
CLOCK_SKEW = timedelta(seconds=5)


@dataclass
class Outcome:
    differences: list[Difference] = field(default_factory=list)
    # What a repair left: rows newer than the snapshot, pledges of a campaign not here.
    unrepaired: list[Difference] = field(default_factory=list)


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
                Difference(
                    campaign_id, f"pledge {pledge_id}", pledge_summary(row), pledge_summary(pledge)
                )
            )
        elif pledge is None:
            PledgeProjection.objects.filter(pk=pledge_id).delete()
        elif row is None or _row_differs(row, pledge):
            # A row filed under another campaign moves here: the truth says where it belongs.
            PledgeProjection.objects.update_or_create(
                pk=pledge_id, defaults={"campaign_id": campaign_id, **pledge.row_values()}
            )
    kept += _plans_repair(snapshot)
    campaign_totals_set(campaign_id=campaign_id, totals=_counters_from_rows(campaign_id))
    # Refund rows are never made up: what they lack is an event still on its way.
    return kept + refund_differences(snapshot)


def _plans_repair(snapshot: Snapshot) -> list[Difference]:
    """Set the campaign's plan rows to the snapshot's plans; return the rows kept as newer.

    The caller holds the campaign row lock; a row the projector touched since just before the
    snapshot may show a newer event than the snapshot, so it is kept and reported.
    """
    campaign_id = snapshot.campaign_id
    rows = {
        row.pk: row
        for row in PlanProjection.objects.select_for_update().filter(campaign_id=campaign_id)
    }
    kept = []
    for plan_id in sorted(set(snapshot.plans) | set(rows)):
        plan, row = snapshot.plans.get(plan_id), rows.get(plan_id)
        if row is not None and _plan_touched(row, snapshot):
            kept.append(
                Difference(campaign_id, f"plan {plan_id}", plan_summary(row), plan_summary(plan))
            )
            continue
        if plan is None:
            PlanProjection.objects.filter(pk=plan_id).delete()
            continue
        values = {**plan.row_values(), "monthly_amount": plan.monthly_amount}
        if row is None or any(getattr(row, name) != value for name, value in values.items()):
            changed_at = snapshot.started_at - CLOCK_SKEW if row is None else row.changed_at
            PlanProjection.objects.update_or_create(
                pk=plan_id,
                defaults={"campaign_id": campaign_id, **values, "changed_at": changed_at},
            )
    return kept


def _plan_touched(row: PlanProjection, snapshot: Snapshot) -> bool:
    """Whether the projector wrote the plan's row since just before the snapshot was read."""
    return snapshot.plan_rows_before.get(row.pk) != (row.status, row.updated_at)


def _touched(row: PledgeProjection, snapshot: Snapshot) -> bool:
    """Whether the projector wrote ``row`` since just before the snapshot was read."""
    return snapshot.rows_before.get(row.pk) != (row.status, row.updated_at)


def _ahead(row: PledgeProjection, pledge: TruePledge | None) -> bool:
    """Whether ``row`` may hold an event newer than the snapshot's view of its pledge."""
    if pledge is None:
        return True  # a pledge made after the snapshot was read
    return PLEDGE_RANK[PledgeStatus(row.status)] > PLEDGE_RANK[pledge.facts.status]


def _row_differs(row: PledgeProjection, pledge: TruePledge) -> bool:
    return any(getattr(row, name) != value for name, value in pledge.row_values().items())


def _counters_from_rows(campaign_id: int) -> dict[str, int]:
    counters = dict.fromkeys(READ_MODEL_FIELDS, 0)
    sums = (
        PledgeProjection.objects.filter(campaign_id=campaign_id)
        .values("status")
        .annotate(total=Sum("amount"), count=Count("pk"))
        .order_by()
    )
    for item in sums:
        counters[PLEDGE_STATUS_BUCKET[PledgeStatus(item["status"])]] += item["total"]
        counters["total_pledges"] += item["count"]
    counters["total_payments"] = captured_payments(campaign_id)
    counters["refunded_amount"] = sum(refunds_by_pledge(campaign_id).values())
    plans = PlanProjection.objects.filter(campaign_id=campaign_id)
    counters["active_plans"] = plans.filter(status__in=COUNTED_PLAN_STATUSES).count()
    counters["monthly_recurring_amount"] = (
        plans.aggregate(total=Sum("monthly_amount"))["total"] or 0
    )
    return counters


def reconcile(*, campaign_ids: Iterable[int], fix: bool) -> Outcome:
    """Compare, and with ``fix`` repair, each campaign in turn; return what differed."""
    outcome = Outcome()
    for campaign_id in campaign_ids:
        snapshot = snapshot_fetch(campaign_id=campaign_id)
        differences = campaign_compare(snapshot=snapshot)
        outcome.differences += differences
        # The transparency log against the read model's payments and refunds (SPEC §5.13).
        logged = log_differences(campaign_id)
        outcome.differences += logged
        if fix and logged:
            outcome.unrepaired += log_repair(campaign_id)
        if not fix or not differences:
            continue
        if Campaign.objects.filter(pk=campaign_id).exists():
            outcome.unrepaired += campaign_repair(snapshot=snapshot)
        else:
            outcome.unrepaired += differences  # pledges of a campaign this service lacks
    return outcome


@dataclass
class Result:
    run: ReconciliationRun
    outcome: Outcome = field(default_factory=Outcome)

    @property
    def failed(self) -> bool:
        return bool(self.run.error)


def reconciliation_run(
    *, campaign_ids: Iterable[int] | None, fix: bool, trigger: str = ReconciliationTrigger.COMMAND
) -> Result:
    """Reconcile ``campaign_ids`` (None: every campaign known here or to pledge_service).

    Always records the run, also when pledge_service cannot be read (``run.error``); the
    comparison and repair are ``reconcile``'s.
    """
    started_at = timezone.now()
    outcome = Outcome()
    checked: list[int] = []
    error = ""
    try:
        checked = sorted(campaign_ids) if campaign_ids is not None else _every_campaign_id()
        outcome = reconcile(campaign_ids=checked, fix=fix)
    except ReconcileError as failure:
        error = str(failure)
    differing = len({difference.campaign_id for difference in outcome.differences})
    if error:
        summary = f"not compared: {error}"
    else:
        summary = (
            f"{len(checked)} campaign(s) checked, {len(outcome.differences)} difference(s) "
            f"in {differing} campaign(s)"
        )
        if fix:
            summary += f", repaired, {len(outcome.unrepaired)} left for another run"
    run = ReconciliationRun.objects.create(
        started_at=started_at,
        finished_at=timezone.now(),
        trigger=trigger,
        fix=fix,
        campaigns_checked=len(checked),
        campaigns_differing=differing,
        differences=len(outcome.differences),
        unrepaired=len(outcome.unrepaired),
        summary=summary[:MAX_SUMMARY_LENGTH],
        error=error[:MAX_SUMMARY_LENGTH],
    )
    return Result(run=run, outcome=outcome)


def _every_campaign_id() -> list[int]:
    # Every campaign here, and every campaign pledge_service has pledges for: a pledge whose
    # campaign the read model does not know is reported too (SPEC §5.2).
    here = Campaign.objects.values_list("pk", flat=True)
    return sorted({*here, *campaign_ids_with_pledges()})
