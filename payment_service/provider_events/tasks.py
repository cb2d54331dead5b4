"""Celery tasks of the provider's side: thin shells around the sweeps (STYLE §3).

The registered names (``payments.*``) are what queued messages and beat entries carry: they
never change, wherever the function lives.
"""

from careforall_common.celery import careforall_task
from provider_events.reconciliation import payments_reconcile
from provider_events.services import provider_event_prune
from provider_events.sweeps import refunds_reconcile


@careforall_task(name="payments.reconcile", expires=15)
def payments_reconcile_task() -> int:
    return payments_reconcile()


@careforall_task(name="payments.refunds_reconcile", expires=60)
def refunds_reconcile_task() -> int:
    return refunds_reconcile()


@careforall_task(name="payments.provider_event_prune")
def provider_event_prune_task() -> int:
    return provider_event_prune()
