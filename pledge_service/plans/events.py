"""What plans publish (docs/recurring.md "Events"): ``PLAN_CHANGED`` to campaign_service, on
every change of a plan's status or amount, and ``INSTALLMENT_DUE`` to payment_service, with each
installment the scheduler makes. Aggregate ``plan``: in order per plan. No email in either.
"""

from __future__ import annotations

from careforall_common.contracts.events import InstallmentDue, PlanChanged
from plans.models import Installment, RecurringPlan
from pledges.models import Pledge


def plan_changed_event(plan: RecurringPlan) -> PlanChanged:
    """``PLAN_CHANGED`` of ``plan`` as it is now."""
    return PlanChanged(
        plan_id=plan.pk,
        campaign_id=plan.campaign_id,
        status=str(plan.status),
        amount=plan.amount,
        currency=plan.currency,
        interval=str(plan.interval),
    )


def installment_due_event(installment: Installment, *, pledge: Pledge) -> InstallmentDue:
    """``INSTALLMENT_DUE`` of ``installment``, whose pledge payment_service charges off-session."""
    return InstallmentDue(
        plan_id=installment.plan_id,
        pledge_id=pledge.pk,
        campaign_id=pledge.campaign_id,
        user_id=pledge.user_id,
        amount=pledge.amount,
        currency=pledge.currency,
        period=installment.period,
        attempt=installment.attempt,
        receipt_token_hash=pledge.receipt_token_hash,
    )
