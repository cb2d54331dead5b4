"""The payment state machine (SPEC §5.3): forward only, one event per real move.

PROCESSING < AUTHORIZED < CAPTURED < REFUNDED; FAILED is terminal and reachable from PROCESSING
or AUTHORIZED. A capture reported before the authorization moves PROCESSING → CAPTURED directly.
REFUNDED is reached by refunds only (``refunds.counting``), never by an intent's report.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from careforall_common.contracts.statuses import PaymentStatus
from careforall_common.contracts.transitions import payment_status_moves, payment_statuses_before
from defence.outcomes import payment_moved, reported
from payments.events import payment_moved_publish
from payments.models import Payment, PlanCharge
from payments.provider import IntentReport
from payments.rows import payment_update
from transparency.services import capture_commitment_make

logger = logging.getLogger(__name__)

CAPTURE_TASK = "payments.capture"  # payments.tasks.payment_capture_task
PLAN_CARD_TASK = "payments.plan_card_record"  # saved_cards.tasks.plan_card_record_task


def moves(current: str, status: PaymentStatus | None) -> bool:
    """Whether a payment in ``current`` would move to ``status`` (the table of SPEC §5.3)."""
    return status is not None and payment_status_moves(current, status)


def reconcile_after(now: datetime) -> datetime:
    return now + timedelta(seconds=settings.PAYMENT_RECONCILE_AFTER_SECONDS)


def payment_advance(*, payment: Payment, report: IntentReport) -> bool:
    """Move ``payment`` to the status the provider reports, if that is forward; return whether.

    The caller holds the transaction. One conditional update decides, so concurrent reports
    (the request, the capture task, webhooks, reconciliation) move a payment once and emit its
    event once; a late, repeated or backward report changes nothing. A report that is not about
    this payment (another intent, amount or currency) is logged and changes nothing. A move to
    AUTHORIZED schedules the capture once committed.
    """
    report = reported(report)  # a suspected card tester's cancel keeps its reason (defence)
    mismatch = report.mismatch(payment)
    if mismatch:
        logger.error("payment %s: provider report ignored: %s", payment.pk, mismatch)
        return False
    now = timezone.now()
    if report.status is None:  # not settled yet; remember the intent all the same
        if report.intent_id is not None:
            Payment.objects.filter(pk=payment.pk, provider_payment_id__isnull=True).update(
                provider_payment_id=report.intent_id, updated_at=now
            )
        return False
    changes: dict[str, object] = {
        "status": report.status,
        "updated_at": now,
        "reconcile_after": reconcile_after(now),
    }
    if report.intent_id is not None:
        changes["provider_payment_id"] = report.intent_id
    if report.status == PaymentStatus.FAILED:
        changes["failure_reason"] = report.failure_reason or "failed"
    if report.card_last4 and not payment.card_last4:
        changes["card_brand"], changes["card_last4"] = report.card_brand, report.card_last4
    moved = payment_update(  # one plain UPDATE: it runs on every move
        payment.pk,
        before=payment_statuses_before(report.status),
        intent_id=report.intent_id,
        changes=changes,
    )
    if not moved:
        return False
    logger.info("payment %s: %s (intent %s)", payment.pk, report.status, report.intent_id)
    # A capture's salt is made with it; PAYMENT_CAPTURED carries its commitment (SPEC §3).
    commitment = capture_commitment_make(payment) if report.status == PaymentStatus.CAPTURED else ""
    payment_moved_publish(
        payment=payment, status=report.status, changes=changes, commitment=commitment
    )
    payment_moved(payment=payment, report=report)  # a guest's decline counts (defence)
    payment_id = payment.pk
    if report.status == PaymentStatus.AUTHORIZED:
        transaction.on_commit(lambda: capture_enqueue(payment_id=payment_id))
    elif report.status == PaymentStatus.CAPTURED and payment.plan_charge == PlanCharge.FIRST:
        # The card the first payment saved becomes the plan's (saved_cards).
        transaction.on_commit(lambda: task_enqueue(PLAN_CARD_TASK, payment_id=payment_id))
    return True


def capture_enqueue(*, payment_id: int) -> None:
    """Start the capture task; if the broker is down, reconciliation captures later.

    Sent by name: this module is below the tasks, which import it.
    """
    task_enqueue(CAPTURE_TASK, payment_id=payment_id)


def task_enqueue(name: str, *, payment_id: int) -> None:
    """Send the task ``name`` about a committed payment, by name; a broker failure is logged
    (reconciliation, or the next look at the payment, does the work later)."""
    try:
        current_app.send_task(name, kwargs={"payment_id": payment_id}, retry=False)
    except Exception:  # any broker failure: the payment is committed
        logger.warning("payment %s: could not send %s", payment_id, name, exc_info=True)
