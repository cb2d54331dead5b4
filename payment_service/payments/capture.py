"""Capturing an authorized payment (SPEC §3, §5.5): at most once, whoever asks how often.

The provider captures an intent at most once (only from ``requires_capture``), and the capture
request carries the payment's deterministic key, so the capture task, its retries,
reconciliation and a webhook-triggered capture can all ask: one capture happens, the others are
answered with it, or with "unexpected state" and the intent, which then tells the state.
"""

from __future__ import annotations

from django.db import transaction

from careforall_common.contracts.statuses import PaymentStatus
from defence.provider import intent_cancel_suspected
from defence.services import authorization_suspicious
from payments.models import Payment
from payments.provider import intent_capture
from payments.transitions import payment_advance


def payment_capture(*, payment_id: int) -> bool:
    """Capture the payment if it is AUTHORIZED; return whether it moved.

    An authorization whose card had a run of declines (SPEC §3 "Card-testing defence") is
    canceled instead, and the payment FAILS as ``suspected_card_testing``. Raises
    ``ProviderUnavailable`` when the provider cannot answer now (the task retries), and
    ``ProviderRefused`` when it never will for this intent.
    """
    payment = Payment.objects.filter(pk=payment_id, status=PaymentStatus.AUTHORIZED).first()
    if payment is None:
        return False  # captured, failed, or not authorized yet: nothing to capture
    if authorization_suspicious(payment):  # a card tester's find: released, never captured
        report = intent_cancel_suspected(payment)
    else:
        report = intent_capture(payment)
    with transaction.atomic(durable=True):
        return payment_advance(payment=payment, report=report)
