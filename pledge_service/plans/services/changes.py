"""The plan state machine (SPEC §3 "Recurring gifts") and the changes donors and staff make.

incomplete → active (first capture) or canceled (first charge failed); active ↔ paused;
active ↔ past_due (a decline, a capture); anything → canceled (payment_failed, campaign_closed,
donor, staff), which is final. Each change of status or amount publishes ``PLAN_CHANGED`` in its
transaction. The same state again is a no-op; pause or resume of a canceled plan is 409.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from careforall_common.outbox.services import outbox_publish
from careforall_common.problems import Problem
from notices.models import NoticeKind
from notices.services import notice_enqueue
from plans.clients.payments import PaymentsRefused, PaymentsUnavailable, card_change
from plans.events import plan_changed_event
from plans.models import CancelReason, PlanStatus, RecurringPlan
from plans.periods import first_period_after
from plans.selectors import plan_first_pledge, plans_of_campaign_open

UNREACHABLE = "The payment service cannot be reached right now; try again shortly."


def plan_lock(*, plan_id: int) -> RecurringPlan:
    """The plan, its row locked for the caller's transaction."""
    return RecurringPlan.objects.select_for_update().get(pk=plan_id)


def plan_save(plan: RecurringPlan, *, fields: list[str], changed: bool = True) -> None:
    """Save ``fields`` of the locked ``plan``; publish ``PLAN_CHANGED`` when ``changed``."""
    plan.save(update_fields=[*fields, "updated_at"])
    if changed:
        outbox_publish(plan_changed_event(plan))


def plan_cancel_locked(plan: RecurringPlan, *, reason: CancelReason) -> None:
    """Cancel the locked ``plan`` for ``reason``: nothing is charged after this."""
    plan.status, plan.cancel_reason = PlanStatus.CANCELED, reason
    plan.next_charge_at = plan.paused_until = None
    plan_save(plan, fields=["status", "cancel_reason", "next_charge_at", "paused_until"])


def plan_resume_locked(plan: RecurringPlan, *, now: datetime) -> None:
    """Resume the locked, paused ``plan``: the next period is the first that falls due after now.

    The periods that fell due while it was paused are not charged (SPEC §3), nor a retry that
    waited: the schedule starts again from the next period.
    """
    assert plan.anchor_at is not None  # noqa: S101  (only a started plan can be paused)
    period, due = first_period_after(
        anchor=plan.anchor_at, interval=plan.interval, start=plan.next_period, moment=now
    )
    plan.status, plan.paused_until = PlanStatus.ACTIVE, None
    plan.next_period, plan.next_attempt, plan.next_charge_at = period, 1, due
    fields = ["status", "paused_until", "next_period", "next_attempt", "next_charge_at"]
    plan_save(plan, fields=fields)


@transaction.atomic(durable=True)
def plan_pause(*, plan_id: int, until: datetime | None) -> RecurringPlan:
    """Pause the plan, until ``until`` or until resumed; 409 unless it is active or past due."""
    plan = plan_lock(plan_id=plan_id)
    if until is not None and until <= timezone.now():
        raise Problem(400, "A pause must end in the future.", errors=[_until_error()])
    if plan.status == PlanStatus.PAUSED:
        if plan.paused_until != until:
            plan.paused_until = until
            plan_save(plan, fields=["paused_until"], changed=False)
        return plan
    if plan.status not in (PlanStatus.ACTIVE, PlanStatus.PAST_DUE):
        raise Problem(409, f"A plan that is {plan.status} cannot be paused.", plan_id=plan_id)
    plan.status, plan.paused_until = PlanStatus.PAUSED, until
    plan_save(plan, fields=["status", "paused_until"])
    return plan


def _until_error() -> dict[str, str]:
    return {"field": "until", "message": "Must be in the future."}


@transaction.atomic(durable=True)
def plan_resume(*, plan_id: int) -> RecurringPlan:
    """Resume a paused plan; a plan that is not paused stays as it is; 409 when canceled."""
    plan = plan_lock(plan_id=plan_id)
    if plan.status == PlanStatus.CANCELED:
        raise Problem(409, "A canceled plan cannot be resumed.", plan_id=plan_id)
    if plan.status == PlanStatus.PAUSED:
        plan_resume_locked(plan, now=timezone.now())
    return plan


@transaction.atomic(durable=True)
def plan_cancel(*, plan_id: int, reason: CancelReason) -> RecurringPlan:
    """Cancel the plan (the donor's or staff's choice); a canceled plan stays as it is."""
    plan = plan_lock(plan_id=plan_id)
    if plan.status != PlanStatus.CANCELED:
        plan_cancel_locked(plan, reason=reason)
    return plan


@transaction.atomic(durable=True)
def plan_amount_change(*, plan_id: int, amount: int) -> RecurringPlan:
    """Change the amount of the next installments on (one already made keeps its own)."""
    plan = plan_lock(plan_id=plan_id)
    if plan.status == PlanStatus.CANCELED:
        raise Problem(409, "A canceled plan cannot change.", plan_id=plan_id)
    if plan.amount != amount:
        plan.amount = amount
        plan_save(plan, fields=["amount"])
    return plan


def plan_card_change(*, plan: RecurringPlan, payment_method: str | None) -> dict[str, Any] | None:
    """Replace the plan's card through payment_service; calls it, so never in a transaction.

    Without ``payment_method``: the SetupIntent's ``{client_secret, publishable_key}`` for the
    browser (the card arrives later, as ``PLAN_CARD_CHANGED``). With one: the card is set now
    and None is returned (the caller answers the plan).
    """
    if plan.status == PlanStatus.CANCELED:
        raise Problem(409, "A canceled plan has no card to change.", plan_id=plan.pk)
    try:
        answer = card_change(plan_id=plan.pk, payment_method=payment_method)
    except PaymentsUnavailable:
        raise Problem(503, UNREACHABLE, plan_id=plan.pk) from None
    except PaymentsRefused as refusal:
        detail = str(refusal.body.get("detail") or "The card could not be changed.")
        raise Problem(refusal.status, detail, plan_id=plan.pk) from None
    if payment_method is None:
        return {
            "client_secret": answer.get("client_secret"),
            "publishable_key": answer.get("publishable_key"),
        }
    with transaction.atomic(durable=True):
        plan_card_set(
            plan_id=plan.pk,
            card_brand=str(answer.get("card_brand") or ""),
            card_last4=str(answer.get("card_last4") or ""),
        )
    return None


def plan_card_set(*, plan_id: int, card_brand: str, card_last4: str) -> RecurringPlan:
    """Record the plan's card (the caller holds the transaction: an API call or the inbox's).

    A past-due plan waiting for a retry is retried now: the donor just gave a card that works.
    """
    plan = plan_lock(plan_id=plan_id)
    plan.card_brand, plan.card_last4 = card_brand, card_last4
    fields = ["card_brand", "card_last4"]
    now = timezone.now()
    retry_waits = plan.next_attempt > 1 and plan.next_charge_at and plan.next_charge_at > now
    if plan.status == PlanStatus.PAST_DUE and retry_waits:
        plan.next_charge_at = now
        fields.append("next_charge_at")
    plan_save(plan, fields=fields, changed=False)
    return plan


def plans_cancel_for_campaign(*, campaign_id: int, occurred_at: datetime) -> int:
    """Cancel a closed or deleted campaign's plans and tell each donor once; return how many.

    The caller holds the transaction (the inbox's ``CAMPAIGN_CHANGED``).
    """
    canceled = 0
    for plan_id in plans_of_campaign_open(campaign_id=campaign_id):
        plan = plan_lock(plan_id=plan_id)
        if plan.status == PlanStatus.CANCELED:
            continue
        plan_cancel_locked(plan, reason=CancelReason.CAMPAIGN_CLOSED)
        plan_notice_canceled(plan, occurred_at=occurred_at)
        canceled += 1
    return canceled


def plan_notice_canceled(plan: RecurringPlan, *, occurred_at: datetime) -> None:
    """The one email that tells the donor the plan ended (key: the plan)."""
    notice_enqueue(
        kind=NoticeKind.PLAN_CANCELED,
        key=plan.pk,
        pledge=plan_first_pledge(plan_id=plan.pk),
        plan_id=plan.pk,
        occurred_at=occurred_at,
        data={"cancel_reason": plan.cancel_reason},
    )
