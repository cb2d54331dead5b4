"""Counting a refund, whichever way it came (SPEC §3): once, never more than was captured.

Every refund — a staff refund's reply, a webhook, the sweep, a lost dispute — is counted by
``refund_observe``: under the payment's row lock it finds the refund (by the provider's id, or by
``metadata[refund_id]`` for one of ours whose reply was lost) or inserts it, and when the
provider says it succeeded it moves the refund to ``succeeded`` once, adds its amount to the
payment's ``refunded_amount`` (REFUNDED when that is the whole amount) and publishes
``PAYMENT_REFUNDED``, all in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from careforall_common.contracts.statuses import PaymentStatus
from payments.models import Payment
from payments.provider import intent_retrieve
from payments.transitions import payment_advance
from refunds.events import payment_refunded_publish
from refunds.models import Refund, RefundSource, RefundStatus
from refunds.provider import RefundReport

logger = logging.getLogger(__name__)


class PaymentNotCaptured(Exception):
    """A refund or dispute of a payment the provider has not captured here (yet)."""


def refund_fail(refund: Refund, reason: str) -> None:
    """Fail the pending refund: nothing came back, its reservation is free again."""
    Refund.objects.filter(pk=refund.pk, status=RefundStatus.PENDING).update(
        status=RefundStatus.FAILED, failure_reason=reason[:255], updated_at=timezone.now()
    )


def refund_observe(*, payment_id: int, report: RefundReport) -> bool:
    """Apply what the provider says of one refund of the payment; return whether it counted now.

    The caller holds the transaction. Raises ``PaymentNotCaptured`` for a succeeded refund of a
    payment that is not captured here yet (its capture is still on the way): the caller brings
    the payment forward first, or tries again later.
    """
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    refund = _refund_of(payment, report)
    if refund is None:
        return False
    if report.failed:
        refund_fail(refund, report.failure_reason or report.status)
        return False
    if not report.succeeded:
        return False  # pending at the provider: refund.updated says when it is done
    return refund_count(payment, refund)


def _refund_of(payment: Payment, report: RefundReport) -> Refund | None:
    """Our row of the provider's refund: by its id, by our metadata, or a new one (dashboard)."""
    refund = Refund.objects.filter(provider_refund_id=report.provider_refund_id).first()
    if refund is not None:
        if refund.payment_id != payment.pk:
            logger.error("refund %s is not payment %s's", report.provider_refund_id, payment.pk)
            return None
        return refund
    ours = report.refund_id or ""
    if ours.isascii() and ours.isdigit() and len(ours) <= 18:
        refund = Refund.objects.filter(
            pk=int(ours), payment=payment, provider_refund_id__isnull=True
        ).first()
        if refund is not None:
            Refund.objects.filter(pk=refund.pk).update(
                provider_refund_id=report.provider_refund_id, updated_at=timezone.now()
            )
            refund.provider_refund_id = report.provider_refund_id
            return refund
    if (report.currency, report.intent_id) != (payment.currency, payment.provider_payment_id):
        logger.error(
            "refund %s (%s, intent %s) cannot be payment %s's",
            report.provider_refund_id,
            report.currency,
            report.intent_id,
            payment.pk,
        )
        return None
    if report.failed:
        return None  # a refund that never moved money: nothing to keep
    return Refund.objects.create(
        payment=payment,
        amount=report.amount,
        currency=payment.currency,
        source=RefundSource.PROVIDER,
        reason=report.reason,
        provider_refund_id=report.provider_refund_id,
    )


def refund_count(payment: Payment, refund: Refund) -> bool:
    """Move the pending ``refund`` to succeeded with its effect and event, once."""
    if refund.status != RefundStatus.PENDING:
        return False
    if payment.status not in (PaymentStatus.CAPTURED, PaymentStatus.REFUNDED):
        raise PaymentNotCaptured(f"payment {payment.pk} is {payment.status}")
    total = payment.refunded_amount + refund.amount
    if total > payment.amount:
        # The provider never refunds more than it captured; this is a bug or a lost dispute
        # counted beside refunds. For an operator, never applied.
        logger.error(
            "refund %s of payment %s would refund %s of %s; not counted",
            refund.pk,
            payment.pk,
            total,
            payment.amount,
        )
        return False
    now = timezone.now()
    Refund.objects.filter(pk=refund.pk, status=RefundStatus.PENDING).update(
        status=RefundStatus.SUCCEEDED, updated_at=now
    )
    status = PaymentStatus.REFUNDED if total == payment.amount else payment.status
    Payment.objects.filter(pk=payment.pk).update(
        refunded_amount=total, status=status, updated_at=now
    )
    payment.refunded_amount, payment.status = total, status
    logger.info(
        "payment %s: refund %s of %s counted (%s)", payment.pk, refund.pk, refund.amount, status
    )
    payment_refunded_publish(payment=payment, refund=refund, refunded_total=total)
    return True


def payment_bring_forward(payment: Payment) -> Payment:
    """A payment the provider refunded or disputed was captured there: if it is not CAPTURED
    here yet (the capture's webhook comes later), apply the intent's state now.

    Raises ``ProviderUnavailable`` when the provider cannot be asked.
    """
    if payment.status not in (PaymentStatus.PROCESSING, PaymentStatus.AUTHORIZED):
        return payment
    if payment.provider_payment_id is None:
        return payment
    report = intent_retrieve(payment.provider_payment_id)
    with transaction.atomic(durable=True):
        payment_advance(payment=payment, report=report)
    return Payment.objects.get(pk=payment.pk)


def refunds_observe(payment: Payment, reports: Iterable[RefundReport]) -> int:
    """Apply each report in its own transaction; return how many counted now."""
    counted = 0
    for report in reports:
        with transaction.atomic(durable=True):
            counted += refund_observe(payment_id=payment.pk, report=report)
    return counted
