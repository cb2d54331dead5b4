"""Reconciliation with the provider (docs/payments.md): the safety net under every other path.

A payment still PROCESSING or AUTHORIZED when its ``reconcile_after`` comes is asked about:

- AUTHORIZED → captured (the capture task was lost, or kept failing);
- PROCESSING with a known intent → the intent is retrieved and its state applied (a webhook was
  dropped, a request died after the provider answered). An intent still waiting for the donor
  (no card confirmed, a 3-D Secure challenge left open) ``PAYMENT_ABANDON_AFTER_SECONDS`` after
  the payment was made is canceled as abandoned: the payment and its pledge end FAILED
  (``abandoned``), so pending totals do not fill with walk-aways (SPEC §3);
- PROCESSING without one → the create is sent again, identical, with the payment's
  deterministic key: the provider replays the intent made before a crash or makes it now. Past
  ``PAYMENT_CREATE_RETRY_HOURS`` (the provider keeps keys 24 h) that is no longer safe, and the
  payment is given up as FAILED: nothing was ever captured for it.

Each check pushes ``reconcile_after`` back by a quarter of the payment's age (at least
``PAYMENT_RECONCILE_AFTER_SECONDS``, at most an hour), in a conditional update that also claims
the payment, so that stuck payments are asked less and less often and never starve the others;
a payment that may be abandoned is asked again no later than when it would be.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from careforall_common.contracts.statuses import PaymentStatus
from careforall_common.leases import claim_if_unchanged
from payments.capture import payment_capture
from payments.models import Payment
from payments.provider import (
    IntentReport,
    intent_cancel_abandoned,
    intent_create,
    intent_retrieve,
)
from payments.stripe_client import ProviderBusy, ProviderRefused, ProviderUnavailable
from payments.transitions import payment_advance

logger = logging.getLogger(__name__)

MAX_INTERVAL = 3600.0  # seconds between two checks of one payment, at most
GAVE_UP = "provider_unconfirmed"


def payments_reconcile(*, limit: int = 100, budget_seconds: float = 40.0) -> int:
    """Check the due payments with the provider; return how many moved.

    Stops early when the provider is unreachable (the next run tries again) or the time budget
    is spent (the task's time limit is 60 s).
    """
    deadline = time.monotonic() + budget_seconds
    now = timezone.now()
    due = list(
        Payment.objects.filter(
            status__in=[PaymentStatus.PROCESSING, PaymentStatus.AUTHORIZED],
            reconcile_after__lte=now,
        ).order_by("reconcile_after", "pk")[:limit]
    )
    moved = 0
    for payment in due:
        if time.monotonic() > deadline:
            break
        if not _claim(payment, now):
            continue  # another run has it
        try:
            moved += payment_reconcile(payment=payment)
        except (ProviderBusy, ProviderRefused):
            continue  # a request is on it / logged for an operator
        except ProviderUnavailable:
            logger.warning("reconciliation: the provider is unavailable; stopping this run")
            break
    return moved


def payment_reconcile(*, payment: Payment) -> bool:
    """Bring one payment to the state its intent is in; return whether it moved."""
    if payment.status == PaymentStatus.AUTHORIZED:
        return payment_capture(payment_id=payment.pk)
    if payment.provider_payment_id is not None:
        report = intent_retrieve(payment.provider_payment_id)
        if report.unconfirmed and _abandon_in(payment, timezone.now()) <= 0:
            logger.info("payment %s: not confirmed in time; canceling as abandoned", payment.pk)
            report = intent_cancel_abandoned(payment)
    elif _too_old_to_create(payment):
        logger.error("payment %s: no intent confirmed in time; giving up", payment.pk)
        report = IntentReport(
            intent_id=None,
            status=PaymentStatus.FAILED,
            amount=payment.amount,
            currency=payment.currency,
            payment_id=None,
            failure_reason=GAVE_UP,
        )
    else:
        report = intent_create(payment)
    with transaction.atomic(durable=True):
        return payment_advance(payment=payment, report=report)


def _claim(payment: Payment, now: datetime) -> bool:
    age = (now - payment.created_at).total_seconds()
    delay = max(settings.PAYMENT_RECONCILE_AFTER_SECONDS, min(MAX_INTERVAL, age / 4))
    abandon_in = _abandon_in(payment, now)
    if payment.status == PaymentStatus.PROCESSING and abandon_in > 0:
        delay = min(delay, abandon_in)
    # The claim moves reconcile_after on from the value read: of two runs, one wins.
    return claim_if_unchanged(
        Payment.objects.all(),
        pk=payment.pk,
        field="reconcile_after",
        expected=payment.reconcile_after,
        new=now + timedelta(seconds=delay),
    )


def _abandon_in(payment: Payment, now: datetime) -> float:
    """Seconds until an unconfirmed intent of ``payment`` counts as abandoned (≤ 0: it does)."""
    age = (now - payment.created_at).total_seconds()
    return float(settings.PAYMENT_ABANDON_AFTER_SECONDS) - age


def _too_old_to_create(payment: Payment) -> bool:
    age = timezone.now() - payment.created_at
    return age > timedelta(hours=settings.PAYMENT_CREATE_RETRY_HOURS)
