"""The refund sweep (SPEC §3): what no request, reply or webhook finished, done from here.

``refunds_reconcile`` (the ``payments.refunds_reconcile`` task) asks the provider again about
the staff refunds still pending after ``REFUND_RETRY_AFTER_SECONDS`` — reading the ones it
has, creating again only those younger than ``REFUND_CREATE_RETRY_HOURS`` that it may not have
(``refunds.services.refund_send``) — and reads the provider's refunds and disputes of the last
``PROVIDER_SWEEP_HOURS`` to apply what no webhook brought; each counts once
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
    refund_observe,
    refund_refuse,
    refunds_observe,
)
from refunds.disputes import dispute_observe
from refunds.models import Dispute, Refund, RefundSource, RefundStatus
from refunds.provider import RefundReport, disputes_since, refunds_since
from refunds.services import refund_send

logger = logging.getLogger(__name__)


def refunds_reconcile(*, budget_seconds: float = 40.0) -> int:
    """Finish refunds that nothing else did; return how many counted.

    - our pending refunds older than ``REFUND_RETRY_AFTER_SECONDS`` (the request died, its
      repeat never came, or the provider has not settled it): read at the provider, or the
      same create sent again with the same key while that is safe;
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
                refund_refuse(refund, str(error) or "refused by the provider")
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
        if report.released or not (report.succeeded or report.failed):
            continue
        known = Refund.objects.filter(provider_refund_id=report.provider_refund_id).first()
        if known is not None and _settled(known, report):
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


def _settled(known: Refund, report: RefundReport) -> bool:
    """Whether our row already says what the provider says of the refund."""
    if known.failed_after_success_at is not None:
        return True  # failed after it succeeded: final
    if report.succeeded:
        return known.status == RefundStatus.SUCCEEDED
    return known.status == RefundStatus.FAILED


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
