"""What plans look like from outside: plain dicts, built once."""

from __future__ import annotations

from typing import Any

from careforall_common.timestamps import timestamp
from plans.models import RecurringPlan


def plan_output(plan: RecurringPlan, *, pending_pledge_id: int | None = None) -> dict[str, Any]:
    """Return the ``RecurringPlan`` of SPEC §3 (never the donor's email or the token's hash).

    ``pending_authentication`` names the declined installment whose 3-D Secure the donor can
    complete (``selectors.plans_pending_authentication``), or is None.
    """
    return {
        "id": plan.pk,
        "campaign_id": plan.campaign_id,
        "user_id": plan.user_id,
        "donor_name": plan.donor_name,
        "anonymous": plan.anonymous,
        "amount": plan.amount,
        "currency": plan.currency,
        "interval": plan.interval,
        "status": plan.status,
        "next_charge_at": timestamp(plan.next_charge_at) if plan.next_charge_at else None,
        "paused_until": timestamp(plan.paused_until) if plan.paused_until else None,
        "card_brand": plan.card_brand or None,
        "card_last4": plan.card_last4 or None,
        "installments_charged": plan.installments_charged,
        "failed_attempts": plan.failed_attempts,
        "cancel_reason": plan.cancel_reason,
        "pending_authentication": (
            {"pledge_id": pending_pledge_id} if pending_pledge_id is not None else None
        ),
        "created_at": timestamp(plan.created_at),
        "updated_at": timestamp(plan.updated_at),
    }
