from django.conf import settings

from careforall_common.celery import careforall_task
from notices.services import notices_send_due

# Half the lease: a task that still runs always holds the rows it claimed (notices/services.py).
_LEASE = float(settings.NOTICE_LEASE_SECONDS)


@careforall_task(
    name="notices.send", expires=30, time_limit=_LEASE / 2, soft_time_limit=_LEASE * 0.4
)
def notices_send() -> int:
    return notices_send_due()
