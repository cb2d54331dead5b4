"""The rules of recurring plans that more than one service needs (SPEC §3 "Recurring gifts")."""

from __future__ import annotations

from careforall_common.contracts.events import PLAN_INTERVALS, PLAN_STATUSES

__all__ = ["COUNTED_PLAN_STATUSES", "PLAN_INTERVALS", "PLAN_STATUSES", "plan_monthly_amount"]

# A campaign's active_plans and monthly_recurring_amount count the plans in these statuses.
COUNTED_PLAN_STATUSES = ("active", "past_due")


def plan_monthly_amount(*, status: str, amount: int, interval: str) -> int:
    """What a plan adds to ``monthly_recurring_amount``: a yearly one 1/12, rounded down."""
    if status not in COUNTED_PLAN_STATUSES:
        return 0
    return amount if interval == "month" else amount // 12
