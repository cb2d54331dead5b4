"""Celery tasks of payments: thin shells around the services (STYLE §3).

The registered names (``payments.*``) are what queued messages and beat entries carry: they
never change, wherever the function lives.
"""

from careforall_common.celery import careforall_task
from careforall_common.idempotency import idempotency_prune
from payments.capture import payment_capture
from payments.models import IdempotencyRecord
from payments.stripe_client import ProviderRefused, ProviderUnavailable
from payments.transitions import CAPTURE_TASK
from refunds.models import RefundRequest


@careforall_task(
    name=CAPTURE_TASK,
    autoretry_for=(ProviderUnavailable,),
    retry_backoff=1,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=8,
)
def payment_capture_task(*, payment_id: int) -> bool:
    try:
        return payment_capture(payment_id=payment_id)
    except ProviderRefused:  # no retry heals it; logged, and reconciliation looks again later
        return False


@careforall_task(name="payments.idempotency_prune")
def idempotency_prune_task() -> int:
    """Forget the answers of payment and refund requests past their retention."""
    return idempotency_prune(IdempotencyRecord) + idempotency_prune(RefundRequest)
