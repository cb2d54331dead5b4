from __future__ import annotations

from careforall_common.celery import careforall_task
from reconciliation.models import ReconciliationTrigger
from reconciliation.services import reconciliation_run


# Compares only: a repair is an operator's decision (manage.py reconcile --fix), after the
# alert. Bounded well below the broker's visibility timeout; a run that is cut off is not
# recorded, and the next one comes at the next interval.
@careforall_task(name="reconciliation.run", time_limit=900, soft_time_limit=840)
def reconciliation_check() -> None:
    reconciliation_run(campaign_ids=None, fix=False, trigger=ReconciliationTrigger.TASK)
