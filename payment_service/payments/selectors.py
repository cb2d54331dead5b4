from __future__ import annotations

from payments.models import Payment, Refund
from payments.pledges import receipt_token_matches


def payment_get_for_reader(
    *, payment_id: int, user_id: int | None, is_staff: bool, receipt_token: str | None
) -> Payment | None:
    """Return the payment if the caller may read it (SPEC §3), in one query; else None.

    Staff read every payment, a donor their own, anyone holding the receipt token of its
    pledge that one. A refusal looks exactly like a missing payment.
    """
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None:
        return None
    if is_staff or (user_id is not None and payment.user_id == user_id):
        return payment
    if receipt_token_matches(token=receipt_token, token_hash=payment.receipt_token_hash):
        return payment
    return None


def payment_refunds(*, payment: Payment) -> list[Refund]:
    """The payment's refunds, oldest first: counted, pending and refused ones (SPEC §3)."""
    return list(Refund.objects.filter(payment=payment).order_by("pk"))
