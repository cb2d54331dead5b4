"""Recurring plans in the read model (SPEC §3 "Recurring gifts"): ``PLAN_CHANGED``.

One ``PlanProjection`` row per plan, set to the plan as each event says it is now. The
campaign's ``active_plans`` and ``monthly_recurring_amount`` move by the difference between the
row's contribution before and after (``plan_monthly_amount``), so a repeated event moves
nothing. A plan's events are published in order, but a late repeat may still come after a newer
one: an event older than the row's ``changed_at`` is stale and ignored, and a ``canceled`` plan
is final (nothing moves it back).
"""

from __future__ import annotations

import logging

from django.utils import timezone

from campaigns.models import COUNTED_PLAN_STATUSES, PlanProjection, plan_monthly_amount
from campaigns.projector.batch import Batch
from careforall_common.contracts.events import Envelope, PlanChanged
from careforall_common.inbox.handlers import RejectEvent

logger = logging.getLogger(__name__)

CANCELED = "canceled"


def plan_changed(batch: Batch, envelope: Envelope, event: PlanChanged) -> None:
    """Set the plan's row to ``event`` and move the campaign's figures by the difference."""
    if event.currency != batch.currencies[event.campaign_id]:
        logger.warning(
            "plan %s is in %s, campaign %s in %s",
            event.plan_id,
            event.currency,
            event.campaign_id,
            batch.currencies[event.campaign_id],
        )
    monthly = plan_monthly_amount(status=event.status, amount=event.amount, interval=event.interval)
    row = batch.plans.get(event.plan_id)
    if row is None:
        batch.plans[event.plan_id] = PlanProjection(
            plan_id=event.plan_id, campaign_id=event.campaign_id, monthly_amount=0
        )
        batch.new_plans.add(event.plan_id)
        row = batch.plans[event.plan_id]
    elif row.campaign_id != event.campaign_id:
        raise RejectEvent(
            f"plan {event.plan_id} belongs to campaign {row.campaign_id}, not {event.campaign_id}"
        )
    elif row.status == CANCELED or envelope.occurred_at < row.changed_at:
        return  # final, or older than what the row shows
    else:
        batch.changed_plans.add(event.plan_id)
    # A new row has no status yet, so it counted nowhere before.
    counted = int(event.status in COUNTED_PLAN_STATUSES) - int(row.counted)
    batch.add(row.campaign_id, "active_plans", counted)
    batch.add(row.campaign_id, "monthly_recurring_amount", monthly - row.monthly_amount)
    row.status, row.amount, row.currency = event.status, event.amount, event.currency
    row.interval, row.monthly_amount = event.interval, monthly
    row.changed_at = envelope.occurred_at


def plans_write(batch: Batch) -> None:
    now = timezone.now()
    new = [batch.plans[pk] for pk in sorted(batch.new_plans)]
    for row in new:
        row.updated_at = now
    PlanProjection.objects.bulk_create(new)
    changed = [batch.plans[pk] for pk in sorted(batch.changed_plans - batch.new_plans)]
    for row in changed:
        row.updated_at = now
    if changed:
        PlanProjection.objects.bulk_update(
            changed,
            [
                "status",
                "amount",
                "currency",
                "interval",
                "monthly_amount",
                "changed_at",
                "updated_at",
            ],
        )
