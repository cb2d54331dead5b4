"""Celery tasks: thin shells around the services (STYLE §3)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from careforall_common.celery import careforall_task
from careforall_common.idempotency import idempotency_prune as prune
from payments import capture, reconciliation, refunds
from payments.models import IdempotencyRecord, ProviderEvent, RefundRequest
from payments.provider import ProviderRefused, ProviderUnavailable


@careforall_task(
    name="payments.capture",
    autoretry_for=(ProviderUnavailable,),
    retry_backoff=1,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=8,
)
def payment_capture(*, payment_id: int) -> bool:
    try:
        return capture.payment_capture(payment_id=payment_id)
    except ProviderRefused:  # no retry heals it; logged, and reconciliation looks again later
        return False


@careforall_task(name="payments.reconcile", expires=15)
def payments_reconcile() -> int:
    return reconciliation.payments_reconcile()


@careforall_task(name="payments.refunds_reconcile", expires=60)
def refunds_reconcile() -> int:
    return refunds.refunds_reconcile()


@careforall_task(name="payments.idempotency_prune")
def idempotency_prune() -> int:
    return prune(IdempotencyRecord) + prune(RefundRequest)


@careforall_task(name="payments.provider_event_prune")
def provider_event_prune() -> int:
    """Forget raw provider events long after Stripe stops redelivering them (3 days)."""
    cutoff = timezone.now() - timedelta(days=settings.PROVIDER_EVENT_RETENTION_DAYS)
    deleted, _ = ProviderEvent.objects.filter(received_at__lt=cutoff).delete()
    return deleted
