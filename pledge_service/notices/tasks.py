"""The donor emails' task: a thin shell around ``notices.services``."""

from django.conf import settings

from careforall_common.celery import careforall_task
from notices.services import SEND_TASK, SEND_TASK_EXPIRES, notices_send_due

# Half the lease: a task that still runs always holds the rows it claimed (notices/services.py).
_LEASE = float(settings.NOTICE_LEASE_SECONDS)


@careforall_task(
    name=SEND_TASK,
    expires=SEND_TASK_EXPIRES,
    time_limit=_LEASE / 2,
    soft_time_limit=_LEASE * 0.4,
)
def notices_send_task() -> int:
    return notices_send_due()
