from careforall_common.celery import careforall_task
from careforall_common.idempotency import idempotency_prune as prune
from pledges.models import IdempotencyRecord


@careforall_task(name="pledges.idempotency_prune")
def idempotency_prune() -> int:
    return prune(IdempotencyRecord)
