"""What the refunds app publishes (SPEC §4): ``PAYMENT_REFUNDED``, once per counted refund."""

from __future__ import annotations

from careforall_common.contracts.events import PaymentRefunded
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
