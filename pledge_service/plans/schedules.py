"""The beat's look for due plans: a ``plans.charge_due`` task only while a plan is due.

Beat asks every ``RECURRING_SWEEP_SECONDS`` (two indexed queries) and sends the task only when a
plan has an installment due or a pause that ended: an idle platform wakes no worker, and no plan
has a wake-up of its own (docs/recurring.md "The schedule").
"""

from __future__ import annotations

from careforall_common.outbox.schedules import WhenRowsDue


class WhenPlansDue(WhenRowsDue):
    """Every ``run_every`` seconds, due only while a plan is due."""

    what = "plans"

    def rows_due(self) -> bool:
        return plans_have_due_rows()


def plans_have_due_rows() -> bool:
    # Imported when beat asks, not with this module: the settings import this module, before
    # the apps (and so the models) can load.
    from plans.selectors import plans_due_exist

    return plans_due_exist()
