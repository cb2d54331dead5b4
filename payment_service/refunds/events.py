"""What the refunds app publishes (SPEC §4): ``PAYMENT_REFUNDED``, once per counted refund, and
``PAYMENT_REFUND_FAILED``, once per counted refund the provider failed afterwards."""

from __future__ import annotations

from careforall_common.contracts.events import PaymentRefunded, PaymentRefundFailed
from careforall_common.outbox.services import outbox_publish
from payments.models import Payment
from refunds.models import Refund


def payment_refunded_publish(*, payment: Payment, refund: Refund, refunded_total: int) -> None:
    """Publish the refund in the caller's transaction (the outbox row commits with it)."""
    outbox_publish(
        PaymentRefunded(
            payment_id=payment.pk,
            pledge_id=payment.pledge_id,
            campaign_id=payment.campaign_id,
            refund_id=refund.pk,
            amount=refund.amount,
            refunded_total=refunded_total,
            currency=payment.currency,
        )
    )


def payment_refund_failed_publish(*, payment: Payment, refund: Refund, refunded_total: int) -> None:
    """Publish the un-counting of ``refund`` in the caller's transaction; ``refunded_total`` is
    what the payment has had back without it."""
    outbox_publish(
        PaymentRefundFailed(
            payment_id=payment.pk,
            pledge_id=payment.pledge_id,
            campaign_id=payment.campaign_id,
            refund_id=refund.pk,
            amount=refund.amount,
            refunded_total=refunded_total,
            currency=payment.currency,
        )
    )
