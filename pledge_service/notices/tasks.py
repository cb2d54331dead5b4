from careforall_common.celery import careforall_task
from notices.services import notices_send_due


@careforall_task(name="notices.send", expires=30)
def notices_send() -> int:
    return notices_send_due()
