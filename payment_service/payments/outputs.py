"""What payments look like from outside (SPEC §3) and in their events (SPEC §4)."""

from __future__ import annotations

from typing import Any

from careforall_common.timestamps import timestamp
from payments.models import Payment


def payment_output(payment: Payment) -> dict[str, Any]:
    """Return the ``Payment`` of SPEC §3 (never the owner or the receipt token hash)."""
    return {
        "id": payment.pk,
        "pledge_id": payment.pledge_id,
        "campaign_id": payment.campaign_id,
        "amount": payment.amount,
        "currency": payment.currency,
        "status": payment.status,
        "provider_payment_id": payment.provider_payment_id,
        "failure_reason": payment.failure_reason or None,
        "refunded_amount": payment.refunded_amount,
        "card_brand": payment.card_brand or None,
        "card_last4": payment.card_last4 or None,
        "created_at": timestamp(payment.created_at),
        "updated_at": timestamp(payment.updated_at),
    }
