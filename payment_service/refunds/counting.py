"""Counting a refund, whichever way it came (SPEC §3): once, never more than was captured.

Every refund — a staff refund's reply, a webhook, the sweep, a lost dispute — is counted by
``refund_observe``: under the payment's row lock it finds the refund (by the provider's id, or by
``metadata[refund_id]`` for one of ours whose reply was lost) or inserts it, and when the
provider says it succeeded it moves the refund to ``succeeded`` once, adds its amount to the
payment's ``refunded_amount`` (REFUNDED when that is the whole amount) and publishes
``PAYMENT_REFUNDED``, all in one transaction. A staff refund failed here (refused, or given up)
still counts, once, when the provider says it succeeded. A refund the provider fails after it
succeeded is un-counted once while the payment is CAPTURED (``PAYMENT_REFUND_FAILED``); a payment
REFUNDED in full stays so (SPEC §5.3) and the failure is left to staff. An authorization released
on a payment never captured is no refund: it is never counted.
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
from refunds.events import payment_refund_failed_publish, payment_refunded_publish
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


def refund_refuse(refund: Refund, reason: str) -> None:
    """Fail the pending refund whose create the provider refused, unless the provider has the
    refund (its id is known): a refused create then says nothing about the refund itself."""
    Refund.objects.filter(
        pk=refund.pk, status=RefundStatus.PENDING, provider_refund_id__isnull=True
    ).update(status=RefundStatus.FAILED, failure_reason=reason[:255], updated_at=timezone.now())


def refund_observe(*, payment_id: int, report: RefundReport) -> bool:
    """Apply what the provider says of one refund of the payment; return whether it counted now.

    The caller holds the transaction. Raises ``PaymentNotCaptured`` for a succeeded refund of a
    payment that is not captured here yet (its capture is still on the way): the caller brings
    the payment forward first, or tries again later.
    """
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if report.released or payment.status == PaymentStatus.FAILED:
        # An authorization released (the intent canceled before any capture): no money of a
        # donation went back, so there is nothing to count (SPEC §3).
        logger.info(
            "payment %s: %s is a released authorization", payment.pk, report.provider_refund_id
        )
        return False
    refund = _refund_of(payment, report)
    if refund is None:
        return False
    if report.failed:
        if refund.provider_refund_id != report.provider_refund_id:
            return False  # another provider refund naming this row failed: not this one
        return refund_failed(payment, refund, report.failure_reason or report.status)
    if not report.succeeded:
        return False  # pending at the provider: refund.updated says when it is done
    if refund.status == RefundStatus.FAILED and not report.current:
        return False  # a row given up on counts on what the provider says now, not a snapshot
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
        refund = Refund.objects.filter(pk=int(ours), payment=payment).first()
        if refund is not None:
            return _named_refund(refund, report)
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


def _named_refund(refund: Refund, report: RefundReport) -> Refund:
    """Our row that the provider's refund names in its metadata; it learns the provider's id.

    A second provider refund naming a row that has another id is still that row, counted once
    (a create sent again after the provider forgot its key made it): staff must look at it.
    """
    if refund.provider_refund_id is None:
        Refund.objects.filter(pk=refund.pk).update(
            provider_refund_id=report.provider_refund_id, updated_at=timezone.now()
        )
        refund.provider_refund_id = report.provider_refund_id
    elif refund.provider_refund_id != report.provider_refund_id:
        logger.error(
            "provider refund %s names refund %s, which is provider refund %s: a second refund "
            "at the provider; counted once here",
            report.provider_refund_id,
            refund.pk,
            refund.provider_refund_id,
        )
    return refund


def refund_count(payment: Payment, refund: Refund) -> bool:
    """Move the pending ``refund`` (or a staff refund failed here) to succeeded with its effect
    and event, once; never a refund the provider failed after it succeeded."""
    if refund.status == RefundStatus.SUCCEEDED or refund.failed_after_success_at is not None:
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
    moved = Refund.objects.filter(
        pk=refund.pk,
        status__in=(RefundStatus.PENDING, RefundStatus.FAILED),
        failed_after_success_at__isnull=True,
    ).update(status=RefundStatus.SUCCEEDED, failure_reason="", updated_at=now)
    if not moved:
        return False
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


def refund_failed(payment: Payment, refund: Refund, reason: str) -> bool:
    """The provider says the refund failed. A pending one fails (nothing was counted); one
    counted here is un-counted once while the payment is CAPTURED, and left counted, with the
    failure recorded for staff, on a payment REFUNDED in full (SPEC §5.3: forward only).

    The caller holds the payment's row lock. Returns whether money moved back.
    """
    if refund.status != RefundStatus.SUCCEEDED:
        refund_fail(refund, reason)
        return False
    now = timezone.now()
    counted = Refund.objects.filter(
        pk=refund.pk, status=RefundStatus.SUCCEEDED, failed_after_success_at__isnull=True
    )
    if payment.status != PaymentStatus.CAPTURED:
        if counted.update(failure_reason=reason[:255], failed_after_success_at=now, updated_at=now):
            logger.error(
                "payment %s: refund %s of %s failed at the provider (%s) after it succeeded; "
                "the payment stays REFUNDED: staff must settle it with the donor",
                payment.pk,
                refund.pk,
                refund.amount,
                reason,
            )
        return False
    if not counted.update(
        status=RefundStatus.FAILED,
        failure_reason=reason[:255],
        failed_after_success_at=now,
        updated_at=now,
    ):
        return False
    total = max(payment.refunded_amount - refund.amount, 0)
    Payment.objects.filter(pk=payment.pk).update(refunded_amount=total, updated_at=now)
    payment.refunded_amount = total
    logger.warning(
        "payment %s: refund %s of %s failed at the provider (%s); un-counted",
        payment.pk,
        refund.pk,
        refund.amount,
        reason,
    )
    payment_refund_failed_publish(payment=payment, refund=refund, refunded_total=total)
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
    """Apply each report in its own transaction; return how many counted (or un-counted) now."""
    counted = 0
    for report in reports:
        with transaction.atomic(durable=True):
            counted += refund_observe(payment_id=payment.pk, report=report)
    return counted
