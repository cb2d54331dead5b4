from careforall_common.celery import careforall_task
from pledges import services


@careforall_task(name="pledges.idempotency_prune")
def idempotency_prune() -> int:
    return services.idempotency_prune()
