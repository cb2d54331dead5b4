"""The scheduler's task: a thin shell around ``plans.services.schedule``."""

from careforall_common.celery import careforall_task
from plans.services.schedule import plans_charge_due

CHARGE_TASK = "plans.charge_due"


# Beat sends it only while a plan is due (plans/schedules.py); a copy that waited longer than
# one look is stale: the next look sends another if a plan is still due.
@careforall_task(name=CHARGE_TASK, time_limit=60, soft_time_limit=50)
def plans_charge_due_task() -> int:
    return plans_charge_due()
