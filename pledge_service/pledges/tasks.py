"""Pledges' periodic task: a thin shell around the shared idempotency helpers."""

from careforall_common.celery import careforall_task
from careforall_common.idempotency import idempotency_prune
from pledges.models import IdempotencyRecord


@careforall_task(name="pledges.idempotency_prune")
def idempotency_prune_task() -> int:
    return idempotency_prune(IdempotencyRecord)
