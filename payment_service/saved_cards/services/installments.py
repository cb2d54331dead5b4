"""Installments charged off-session with the plan's saved card (docs/recurring.md, guarantee 11).

``INSTALLMENT_DUE`` inserts the pledge's payment in the inbox's transaction — unique
``pledge_id``: one payment per pledge, ever, so a repeated event finds it and adds nothing — and
wakes ``payments.charge_off_session`` once that commits. The task creates and confirms the intent
(``off_session``, manual capture, the saved Customer and card) with the payment's deterministic
key, then moves the payment as every payment moves (``payments.transitions``): authorized, then
captured by the capture task; declined, ``authentication_required`` included, FAILED with the
provider's code. A worker that dies between the provider call and its record leaves a PROCESSING
payment that reconciliation finishes with the same request and key: one intent, whatever happens.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from careforall_common.contracts.events import InstallmentDue
from careforall_common.contracts.statuses import PaymentStatus
from careforall_common.db_errors import DUPLICATE_KEY, error_code
from payments.models import Payment, PlanCharge
from payments.provider import intent_create
from payments.transitions import PLAN_CARD_TASK, payment_advance, reconcile_after, task_enqueue
from saved_cards.models import PlanCard

logger = logging.getLogger(__name__)

CHARGE_TASK = "payments.charge_off_session"  # saved_cards.tasks.charge_off_session_task


class CardNotSaved(Exception):
    """The plan has no saved card yet: the event fails and is delivered again later."""


def installment_due_record(event: InstallmentDue) -> Payment | None:
    """Insert the installment's payment in the caller's (the inbox's) transaction and charge it
    once that commits; None when the pledge has its payment already."""
    if Payment.objects.filter(pledge_id=event.pledge_id).exists():
        logger.info("installment pledge %s: has its payment already", event.pledge_id)
        return None
    card = PlanCard.objects.filter(plan_id=event.plan_id).first()
    if card is None or not card.chargeable:
        _first_card_record(plan_id=event.plan_id)
        raise CardNotSaved(f"plan {event.plan_id} has no saved card yet")
    try:
        with transaction.atomic():  # a savepoint: a concurrent insert leaves the rest intact
            payment = Payment.objects.create(
                pledge_id=event.pledge_id,
                campaign_id=event.campaign_id,
                user_id=event.user_id,
                receipt_token_hash=event.receipt_token_hash,
                amount=event.amount,
                currency=event.currency,
                payment_method=card.payment_method,
                plan_id=event.plan_id,
                plan_period=event.period,
                plan_charge=PlanCharge.OFF_SESSION,
                provider_customer=card.customer,
                reconcile_after=reconcile_after(timezone.now()),
            )
    except IntegrityError as error:
        if error_code(error) != DUPLICATE_KEY:
            raise
        logger.info("installment pledge %s: paid by a concurrent delivery", event.pledge_id)
        return None
    payment_id = payment.pk
    transaction.on_commit(lambda: task_enqueue(CHARGE_TASK, payment_id=payment_id))
    return payment


def _first_card_record(*, plan_id: int) -> None:
    """Ask again for the card of the plan's captured first payment (its task may be lost)."""
    first = (
        Payment.objects.filter(
            plan_id=plan_id, plan_charge=PlanCharge.FIRST, status=PaymentStatus.CAPTURED
        )
        .values_list("pk", flat=True)
        .first()
    )
    if first is not None:
        task_enqueue(PLAN_CARD_TASK, payment_id=first)


def installment_charge(*, payment_id: int) -> bool:
    """Create and confirm the installment's intent off-session; return whether the payment moved.

    Only a PROCESSING payment without an intent is charged here (reconciliation looks after the
    others). Raises ``ProviderUnavailable`` when the provider cannot answer now (the task
    retries; reconciliation sends the same request later if the retries run out).
    """
    payment = Payment.objects.filter(
        pk=payment_id,
        plan_charge=PlanCharge.OFF_SESSION,
        status=PaymentStatus.PROCESSING,
        provider_payment_id__isnull=True,
    ).first()
    if payment is None:
        return False
    report = intent_create(payment)
    with transaction.atomic(durable=True):
        return payment_advance(payment=payment, report=report)
