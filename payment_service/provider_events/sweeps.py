"""The refund sweep (SPEC §3): what no request, reply or webhook finished, done from here.

``refunds_reconcile`` (the ``payments.refunds_reconcile`` task) sends again the staff refunds
still pending after ``REFUND_RETRY_AFTER_SECONDS`` and reads the provider's refunds and disputes
of the last ``PROVIDER_SWEEP_HOURS`` to apply what no webhook brought; each counts once
(``refunds.counting``).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from payments.models import Payment
from payments.stripe_client import ProviderBusy, ProviderRefused, ProviderUnavailable
from refunds.counting import (
    PaymentNotCaptured,
    payment_bring_forward,
    refund_fail,
    refund_observe,
    refunds_observe,
)
from refunds.disputes import dispute_observe
from refunds.models import Dispute, Refund, RefundSource, RefundStatus
from refunds.provider import disputes_since, refunds_since
from refunds.services import refund_send

logger = logging.getLogger(__name__)


def refunds_reconcile(*, budget_seconds: float = 40.0) -> int:
    """Finish refunds that nothing else did; return how many counted.

    - our pending refunds older than ``REFUND_RETRY_AFTER_SECONDS`` (the request died, its
      repeat never came): the same create is sent again with the same key;
    - the provider's refunds and disputes of the last ``PROVIDER_SWEEP_HOURS`` that are not
      counted here (a webhook was lost): read and applied.

    Stops when the provider is unreachable (the next run tries again) or the budget is spent.
    """
    deadline = time.monotonic() + budget_seconds
    counted = 0
    try:
        counted += _retry_pending(deadline)
        since = int((timezone.now() - timedelta(hours=settings.PROVIDER_SWEEP_HOURS)).timestamp())
        counted += _sweep_refunds(since, deadline)
        counted += _sweep_disputes(since, deadline)
    except ProviderUnavailable:
        logger.warning("refund reconciliation: the provider is unavailable; stopping this run")
    return counted


def _retry_pending(deadline: float) -> int:
    cutoff = timezone.now() - timedelta(seconds=settings.REFUND_RETRY_AFTER_SECONDS)
    counted = 0
    pending = Refund.objects.select_related("payment").filter(
        status=RefundStatus.PENDING, source=RefundSource.STAFF, updated_at__lte=cutoff
    )
    for refund in pending.order_by("pk")[:100]:
        if time.monotonic() > deadline:
            break
        try:
            report = refund_send(refund)
        except ProviderRefused as error:
            with transaction.atomic(durable=True):
                refund_fail(refund, str(error) or "refused by the provider")
            continue
        except ProviderBusy:
            continue
        with transaction.atomic(durable=True):
            counted += refund_observe(payment_id=refund.payment_id, report=report)
    return counted


def _sweep_refunds(since: int, deadline: float) -> int:
    counted = 0
    for report in refunds_since(since):
        if time.monotonic() > deadline:
            break
        if not report.succeeded and not report.failed:
            continue
        known = Refund.objects.filter(provider_refund_id=report.provider_refund_id).first()
        if known is not None and known.status != RefundStatus.PENDING:
            continue
        payment = _payment_of(report.intent_id)
        if payment is None:
            continue
        try:
            counted += refunds_observe(payment_bring_forward(payment), [report])
        except ProviderRefused:
            continue  # logged by the provider module
        except PaymentNotCaptured:
            logger.warning(
                "refund %s: its payment is not captured here yet", report.provider_refund_id
            )
    return counted


def _sweep_disputes(since: int, deadline: float) -> int:
    changed = 0
    for report in disputes_since(since):
        if time.monotonic() > deadline:
            break
        known = Dispute.objects.filter(provider_dispute_id=report.provider_dispute_id).first()
        if known is not None and (known.closed or known.status == report.status):
            continue
        payment = _payment_of(report.intent_id)
        if payment is None:
            continue
        try:
            payment = payment_bring_forward(payment)
            with transaction.atomic(durable=True):
                changed += dispute_observe(payment_id=payment.pk, report=report)
        except ProviderRefused:
            continue  # logged by the provider module
        except PaymentNotCaptured:
            logger.warning(
                "dispute %s: its payment is not captured here yet", report.provider_dispute_id
            )
    return changed


def _payment_of(intent_id: str | None) -> Payment | None:
    if not intent_id:
        return None
    return Payment.objects.filter(provider_payment_id=intent_id).first()
