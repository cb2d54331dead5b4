"""Celery tasks of saved_cards: thin shells around the services (STYLE §3).

Their registered names (``payments.*``) are what queued messages carry; services send them by
name (``CHARGE_TASK``, ``PLAN_CARD_TASK``).
"""

from careforall_common.celery import careforall_task
from payments.stripe_client import ProviderRefused, ProviderUnavailable
from payments.transitions import PLAN_CARD_TASK
from saved_cards.services.cards import plan_card_record
from saved_cards.services.installments import CHARGE_TASK, installment_charge

RETRIES = {
    "autoretry_for": (ProviderUnavailable,),
    "retry_backoff": 1,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 8,
}


@careforall_task(name=CHARGE_TASK, **RETRIES)
def charge_off_session_task(*, payment_id: int) -> bool:
    # Retries spent: reconciliation sends the same request (same key) later.
    return installment_charge(payment_id=payment_id)


@careforall_task(name=PLAN_CARD_TASK, **RETRIES)
def plan_card_record_task(*, payment_id: int) -> bool:
    try:
        return plan_card_record(payment_id=payment_id)
    except ProviderRefused:  # no retry heals it; logged
        return False
