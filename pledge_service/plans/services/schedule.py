"""The scheduler (docs/recurring.md "The schedule"): the installments that fell due, once each.

``plans_charge_due`` runs in ``plans.charge_due``, which beat sends only while a plan is due.
It reads the ids of due plans in batches, unlocked, then takes each plan in its own durable
transaction with ``SELECT … FOR UPDATE SKIP LOCKED`` and the due condition again: of two workers
(beat duplicates, replicas) that read the same id, one holds the row and the other skips it, or
finds it no longer due once the first committed. In that transaction the plan's next installment
(unique ``(plan, period, attempt)``), its PENDING pledge, ``PLEDGE_CREATED`` and
``INSTALLMENT_DUE`` are inserted and ``next_charge_at`` moves on — all or nothing.

Catch-up: a plan whose next period is still due after that is taken again, one period per
transaction, in order. A period more than ``RECURRING_SKIP_AFTER_DAYS`` late is recorded
``skipped`` (no pledge) and never charged. A pause whose ``paused_until`` passed is resumed here.
"""

from __future__ import annotations

import logging
import time
from enum import Enum

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from careforall_common.outbox.services import outbox_publish
from plans.events import installment_due_event
from plans.models import CancelReason, Installment, InstallmentStatus, PlanStatus, RecurringPlan
from plans.periods import days, period_start
from plans.selectors import campaign_final, plans_due_ids, plans_due_q
from plans.services.changes import plan_cancel_locked, plan_notice_canceled, plan_resume_locked
from pledges.events import pledge_created_event
from pledges.services import Donor, pledge_insert

logger = logging.getLogger(__name__)

BATCH_SIZE = 100
DRAIN_SECONDS = 30.0  # a task stops taking plans after this (its soft time limit is 50 s)


class Step(Enum):
    CHARGED = "charged"
    SKIPPED = "skipped"  # too late: recorded, not charged; the plan may be due again
    RESUMED = "resumed"
    CANCELED = "canceled"
    NOT_DUE = "not_due"  # another worker holds it, or did the work already


def plans_charge_due(*, drain_seconds: float = DRAIN_SECONDS) -> int:
    """Make every installment that is due, until none is or the drain time is up; return how
    many were made (charged)."""
    deadline = time.monotonic() + drain_seconds
    charged = 0
    passed: set[int] = set()
    while time.monotonic() < deadline:
        ids = plans_due_ids(limit=BATCH_SIZE, exclude=passed)
        if not ids:
            break
        for plan_id in ids:
            if time.monotonic() >= deadline:
                break
            try:
                step = plan_charge_next(plan_id=plan_id)
            except Exception:
                logger.exception("plans: plan %d could not be charged; later again", plan_id)
                step = Step.NOT_DUE
            if step is Step.NOT_DUE:
                passed.add(plan_id)  # not again in this run: another worker has it
            charged += step is Step.CHARGED
    return charged


@transaction.atomic(durable=True)
def plan_charge_next(*, plan_id: int) -> Step:
    """Take the plan if it is due and nobody holds it, and do its next step (one transaction)."""
    now = timezone.now()
    plan = (
        RecurringPlan.objects.select_for_update(skip_locked=True)
        .filter(plans_due_q(now), pk=plan_id)
        .first()
    )
    if plan is None:
        return Step.NOT_DUE
    if plan.status == PlanStatus.PAUSED:
        plan_resume_locked(plan, now=now)
        return Step.RESUMED
    if campaign_final(campaign_id=plan.campaign_id):  # its CAMPAIGN_CHANGED is on its way
        plan_cancel_locked(plan, reason=CancelReason.CAMPAIGN_CLOSED)
        plan_notice_canceled(plan, occurred_at=now)
        return Step.CANCELED
    assert plan.next_charge_at is not None  # noqa: S101  (the due condition)
    if plan.next_charge_at < now - days(settings.RECURRING_SKIP_AFTER_DAYS):
        Installment.objects.create(
            plan=plan,
            period=plan.next_period,
            attempt=plan.next_attempt,
            status=InstallmentStatus.SKIPPED,
            due_at=plan.next_charge_at,
        )
        logger.warning("plans: plan %d period %d skipped (too late)", plan.pk, plan.next_period)
        _move_on(plan)
        return Step.SKIPPED
    _installment_make(plan)
    _move_on(plan)
    return Step.CHARGED


def _installment_make(plan: RecurringPlan) -> None:
    """Insert the plan's next installment, its PENDING pledge and their events."""
    donor = Donor(user_id=plan.user_id, name=plan.donor_name, email=plan.donor_email)
    pledge = pledge_insert(
        donor=donor,
        campaign_id=plan.campaign_id,
        amount=plan.amount,
        currency=plan.currency,
        anonymous=plan.anonymous,
        plan_id=plan.pk,
    )
    assert plan.next_charge_at is not None  # noqa: S101
    installment = Installment.objects.create(
        plan=plan,
        period=plan.next_period,
        attempt=plan.next_attempt,
        pledge=pledge,
        due_at=plan.next_charge_at,
        amount=plan.amount,
    )
    outbox_publish(pledge_created_event(pledge))
    outbox_publish(installment_due_event(installment, pledge=pledge))


def _move_on(plan: RecurringPlan) -> None:
    """Point the locked plan at the period after its current one (attempt 1)."""
    assert plan.anchor_at is not None  # noqa: S101  (a charging plan has started)
    plan.next_period, plan.next_attempt = plan.next_period + 1, 1
    plan.next_charge_at = period_start(
        anchor=plan.anchor_at, interval=plan.interval, period=plan.next_period
    )
    plan.save(update_fields=["next_period", "next_attempt", "next_charge_at", "updated_at"])
