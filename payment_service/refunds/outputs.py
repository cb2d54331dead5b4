"""What refunds look like from outside (SPEC §3)."""

from __future__ import annotations

from typing import Any

from careforall_common.timestamps import timestamp
from refunds.models import Refund


def refund_output(refund: Refund, *, with_reason: bool) -> dict[str, Any]:
    """Return the ``Refund`` of SPEC §3; ``reason`` is staff-only (``None`` for anyone else)."""
    return {
        "id": refund.pk,
        "payment_id": refund.payment_id,
        "amount": refund.amount,
        "currency": refund.currency,
        "status": refund.status,
        "source": refund.source,
        "reason": refund.reason if with_reason else None,
        "created_at": timestamp(refund.created_at),
    }
