"""What the payments app publishes (SPEC §4): one event per real move of a payment."""

from __future__ import annotations

from careforall_common.contracts.events import (
    PaymentAuthorized,
    PaymentCaptured,
    PaymentFailed,
    PaymentReported,
)
from careforall_common.contracts.statuses import PaymentStatus
from careforall_common.outbox.services import outbox_publish
from payments.models import Payment

EVENT: dict[PaymentStatus, type[PaymentReported]] = {
    PaymentStatus.AUTHORIZED: PaymentAuthorized,
    PaymentStatus.CAPTURED: PaymentCaptured,
    PaymentStatus.FAILED: PaymentFailed,
}


def payment_moved_publish(
    *, payment: Payment, status: PaymentStatus, changes: dict[str, object], commitment: str = ""
) -> None:
    """Publish the move of ``payment`` to ``status`` in the caller's transaction.

    ``payment`` is the row before the move; ``changes`` what the move wrote (the failure
    reason, the card's brand and last four digits when it learnt them); ``commitment`` a
    capture's, for the transparency log (``transparency.services``).
    """
    outbox_publish(
        EVENT[status](
            payment_id=payment.pk,
            pledge_id=payment.pledge_id,
            campaign_id=payment.campaign_id,
            amount=payment.amount,
            currency=payment.currency,
            error=str(changes.get("failure_reason", "")),
            card_brand=str(changes.get("card_brand", payment.card_brand)),
            card_last4=str(changes.get("card_last4", payment.card_last4)),
            commitment=commitment,
        )
    )
