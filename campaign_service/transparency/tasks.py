from __future__ import annotations

from careforall_common.celery import careforall_task
from transparency.checkpoints import checkpoints_sign


@careforall_task(name="transparency.checkpoints_sign", time_limit=60, soft_time_limit=50)
def checkpoints_sign_task() -> None:
    checkpoints_sign()
