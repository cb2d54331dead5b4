"""What the donor emails consume: a captured payment or a refund becomes one notice.

Called by pledges' handlers of ``PAYMENT_CAPTURED`` and ``PAYMENT_REFUNDED`` (``pledges.handlers``),
inside the inbox's transaction, after the pledge took the event.
"""

from __future__ import annotations

from datetime import datetime

from careforall_common.contracts.events import PaymentCaptured, PaymentRefunded
from notices.models import Notice, NoticeKind
from notices.services import notice_enqueue


def receipt_enqueue(*, event: PaymentCaptured, occurred_at: datetime) -> Notice | None:
    """The receipt of a captured payment (``PAYMENT_CAPTURED``): one per payment id."""
    return notice_enqueue(
        kind=NoticeKind.RECEIPT,
        key=event.payment_id,
        pledge=event.pledge_id,
        occurred_at=occurred_at,
        data={
            "payment_id": event.payment_id,
            "amount": event.amount,
            "currency": event.currency,
            "card_brand": event.card_brand,
            "card_last4": event.card_last4,
        },
    )


def refund_notice_enqueue(*, event: PaymentRefunded, occurred_at: datetime) -> Notice | None:
    """The notice of one refund (``PAYMENT_REFUNDED``): one per refund id."""
    return notice_enqueue(
        kind=NoticeKind.REFUND,
        key=event.refund_id,
        pledge=event.pledge_id,
        occurred_at=occurred_at,
        data={
            "payment_id": event.payment_id,
            "refund_id": event.refund_id,
            "amount": event.amount,
            "refunded_total": event.refunded_total,
            "currency": event.currency,
        },
    )
