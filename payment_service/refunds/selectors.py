"""Reads of refunds: a payment's refunds, and what is left to refund of it."""

from __future__ import annotations

from django.db.models import Sum

from careforall_common.contracts.statuses import PaymentStatus
from payments.models import Payment
from refunds.models import Refund, RefundStatus


def payment_refunds(*, payment: Payment) -> list[Refund]:
    """The payment's refunds, oldest first: counted, pending and refused ones (SPEC §3)."""
    return list(Refund.objects.filter(payment=payment).order_by("pk"))


def refund_reserved_total(*, payment: Payment) -> int:
    """What the payment's refunds take, counted or still waiting for the provider."""
    total = (
        Refund.objects.filter(payment=payment)
        .exclude(status=RefundStatus.FAILED)
        .aggregate(total=Sum("amount"))["total"]
    )
    return int(total or 0)


def refundable_amount(*, payment: Payment) -> int:
    """What is left to refund: the amount less the refunds counted or waiting for the provider.

    The admin form's check; ``refunds.services.refund_reserve`` decides again under the
    payment's row lock.
    """
    if payment.status != PaymentStatus.CAPTURED:
        return 0
    return max(payment.amount - refund_reserved_total(payment=payment), 0)
