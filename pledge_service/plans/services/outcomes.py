"""What a payment's outcome does to its plan (docs/recurring.md "The flow" 3, "Dunning").

Called by pledges' ``PAYMENT_CAPTURED`` / ``PAYMENT_FAILED`` handlers for an installment's
pledge, inside the inbox's transaction. The installment moves from pending by a conditional
update, so each outcome counts once however often its event or a sibling event arrives.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings

from notices.models import NoticeKind
from notices.services import notice_enqueue
from plans.models import (
    AUTHENTICATION_REQUIRED,
    CancelReason,
    Installment,
    InstallmentStatus,
    PlanStatus,
    RecurringPlan,
)
from plans.periods import days, period_start
from plans.selectors import installment_of_pledge
from plans.services.changes import (
    plan_cancel_locked,
    plan_lock,
    plan_notice_canceled,
    plan_save,
)


def _settle(*, pledge_id: int, status: InstallmentStatus, error: str = "") -> Installment | None:
    """Move the pledge's installment from pending to ``status``; None when it is no installment
    or was settled before."""
    installment = installment_of_pledge(pledge_id=pledge_id)
    if installment is None:
        return None
    moved = Installment.objects.filter(pk=installment.pk, status=InstallmentStatus.PENDING).update(
        status=status, error=error[:2000]
    )
    return installment if moved else None


def installment_captured(
    *, pledge_id: int, occurred_at: datetime, card_brand: str = "", card_last4: str = ""
) -> RecurringPlan | None:
    """Count a captured installment: the first one starts the plan; any ends its dunning.

    The card it was charged with is shown only by a plan that shows none yet: the plan's card is
    ``PLAN_CARD_CHANGED``'s to set, and a capture of the old card may arrive after a change.
    """
    installment = _settle(pledge_id=pledge_id, status=InstallmentStatus.CAPTURED)
    if installment is None:
        return None
    plan = plan_lock(plan_id=installment.plan_id)
    previous = plan.status
    plan.failed_attempts, plan.declined_at = 0, None
    plan.installments_charged += 1
    if (card_brand or card_last4) and not (plan.card_brand or plan.card_last4):
        plan.card_brand, plan.card_last4 = card_brand, card_last4
    fields = ["failed_attempts", "declined_at", "installments_charged", "card_brand", "card_last4"]
    if previous == PlanStatus.INCOMPLETE and installment.period == 0:
        plan.status, plan.anchor_at = PlanStatus.ACTIVE, occurred_at
        plan.next_period, plan.next_attempt = 1, 1
        plan.next_charge_at = period_start(anchor=occurred_at, interval=plan.interval, period=1)
        fields += ["status", "anchor_at", "next_period", "next_attempt", "next_charge_at"]
    elif previous == PlanStatus.PAST_DUE:
        plan.status = PlanStatus.ACTIVE
        fields.append("status")
    plan_save(plan, fields=fields, changed=plan.status != previous)
    if previous == PlanStatus.INCOMPLETE and plan.status == PlanStatus.ACTIVE:
        _notice(plan, NoticeKind.PLAN_CREATED, key=plan.pk, pledge_id=pledge_id, at=occurred_at)
    return plan


def installment_failed(
    *, pledge_id: int, occurred_at: datetime, error: str
) -> RecurringPlan | None:
    """Count a declined installment: the first one's ends the plan; a later one's starts or
    continues dunning (a retry after ``RECURRING_RETRY_DAYS``), the last cancels the plan."""
    installment = _settle(pledge_id=pledge_id, status=InstallmentStatus.FAILED, error=error)
    if installment is None:
        return None
    plan = plan_lock(plan_id=installment.plan_id)
    if plan.status == PlanStatus.CANCELED:
        return plan
    if installment.period == 0:
        plan_cancel_locked(plan, reason=CancelReason.PAYMENT_FAILED)  # the donor saw it fail
        return plan
    plan.failed_attempts += 1
    if installment.attempt == 1:
        plan.declined_at = occurred_at
    retries = list(settings.RECURRING_RETRY_DAYS)
    if installment.attempt > len(retries):
        plan.save(update_fields=["failed_attempts", "declined_at", "updated_at"])
        plan_cancel_locked(plan, reason=CancelReason.PAYMENT_FAILED)
        plan_notice_canceled(plan, occurred_at=occurred_at)
        return plan
    retry_at = _retry_schedule(plan, installment, retries=retries, occurred_at=occurred_at)
    previous = plan.status
    if plan.status == PlanStatus.ACTIVE:
        plan.status = PlanStatus.PAST_DUE
    fields = ["status", "failed_attempts", "declined_at"]
    plan_save(
        plan,
        fields=[*fields, "next_period", "next_attempt", "next_charge_at"],
        changed=plan.status != previous,
    )
    kind = NoticeKind.PLAN_PAST_DUE
    if AUTHENTICATION_REQUIRED in error:
        kind = NoticeKind.PLAN_AUTHENTICATION_REQUIRED
    data = {"amount": installment.amount, "retry_at": retry_at.isoformat() if retry_at else None}
    _notice(plan, kind, key=pledge_id, pledge_id=pledge_id, at=occurred_at, data=data)
    return plan


def _retry_schedule(
    plan: RecurringPlan, installment: Installment, *, retries: list[float], occurred_at: datetime
) -> datetime | None:
    """Point the schedule at the next attempt of the declined period; return when it is due.

    Only while the schedule still waits for the period after it (and the plan is not paused):
    a retry never overtakes a later period, and a pause drops it.
    """
    waits_for_next = (plan.next_period, plan.next_attempt) == (installment.period + 1, 1)
    if plan.status == PlanStatus.PAUSED or not waits_for_next:
        return None
    retry_at = (plan.declined_at or occurred_at) + days(retries[installment.attempt - 1])
    plan.next_period, plan.next_attempt = installment.period, installment.attempt + 1
    plan.next_charge_at = retry_at
    return retry_at


def _notice(
    plan: RecurringPlan,
    kind: NoticeKind,
    *,
    key: int,
    pledge_id: int,
    at: datetime,
    data: dict[str, Any] | None = None,
) -> None:
    notice_enqueue(
        kind=kind, key=key, pledge=pledge_id, plan_id=plan.pk, occurred_at=at, data=data or {}
    )
