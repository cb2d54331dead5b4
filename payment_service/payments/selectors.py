from __future__ import annotations

from careforall_common.contracts.receipts import receipt_token_matches
from payments.models import Payment


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
