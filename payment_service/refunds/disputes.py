"""Disputes (chargebacks, SPEC §3): recorded as the provider has them; a lost one is a refund.

A closed dispute never reopens. One that closes ``lost`` counts as a refund of its amount (at
most what is left), source ``dispute``, named by the dispute's id so that it counts once.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.utils import timezone

from payments.models import Payment
from refunds.counting import refund_count
from refunds.models import Dispute, Refund, RefundSource
from refunds.provider import DisputeReport

logger = logging.getLogger(__name__)


def dispute_observe(*, payment_id: int, report: DisputeReport) -> bool:
    """Record the dispute as the provider has it; count a lost one as a refund, once.

    The caller holds the transaction. A closed dispute stays closed whatever older report
    comes later. Returns whether anything changed.
    """
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    now = timezone.now()
    dispute = Dispute.objects.filter(provider_dispute_id=report.provider_dispute_id).first()
    if dispute is None:
        dispute = Dispute.objects.create(
            payment=payment,
            provider_dispute_id=report.provider_dispute_id,
            amount=report.amount,
            currency=report.currency,
            reason=report.reason,
            status=report.status,
            opened_at=_from_unix(report.created) or now,
            closed_at=now if report.status in Dispute.CLOSED else None,
        )
        changed = True
    elif dispute.payment_id != payment.pk:
        logger.error("dispute %s is not payment %s's", report.provider_dispute_id, payment.pk)
        return False
    elif dispute.closed or dispute.status == report.status:
        changed = False
    else:
        closed_at = now if report.status in Dispute.CLOSED else None
        Dispute.objects.filter(pk=dispute.pk).update(
            status=report.status, amount=report.amount, closed_at=closed_at, updated_at=now
        )
        dispute.status = report.status
        changed = True
    if dispute.status == "lost":
        changed |= _dispute_lost(payment, dispute)
    return changed


def _dispute_lost(payment: Payment, dispute: Dispute) -> bool:
    """Count the lost dispute as a refund of its amount, at most what is left; once."""
    refund = Refund.objects.filter(provider_refund_id=dispute.provider_dispute_id).first()
    if refund is None:
        amount = min(dispute.amount, payment.amount - payment.refunded_amount)
        if amount <= 0:
            return False
        refund = Refund.objects.create(
            payment=payment,
            amount=amount,
            currency=payment.currency,
            source=RefundSource.DISPUTE,
            reason=f"dispute lost: {dispute.reason}"[:500],
            provider_refund_id=dispute.provider_dispute_id,
        )
    return refund_count(payment, refund)


def _from_unix(seconds: int) -> datetime | None:
    return datetime.fromtimestamp(seconds, tz=timezone.get_current_timezone()) if seconds else None
