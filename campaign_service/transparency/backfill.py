"""Appending what the logs lack (``manage.py transparency_backfill``, ``reconcile --fix``).

The read model's rows are the record of what the projector counted: one ``PaymentEvent`` per
captured payment, one ``RefundProjection`` per refund. What the log lacks of them — captures
applied before the log existed, or published without a commitment by an earlier release — is
appended now, captures in capture order, then refunds in refund order, through the projector's
own appender (``appends``): the same dedupe, the same waiting of a refund for its capture. A
refund that failed is left out (nothing of it is counted). Nothing is ever rewritten or removed.

The commitments of captures that lack one come from payment_service, asked before the
campaign's row lock is taken so that the projector never waits on a peer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import QuerySet

from campaigns.models import Campaign, PaymentEvent, PaymentEventType, RefundProjection
from transparency.appends import CaptureApplied, LogItem, RefundApplied, log_append
from transparency.models import LogEntry


@dataclass
class Backfill:
    appended: int = 0
    without_commitment: list[int] = field(default_factory=list)  # payments left out


def captures_unlogged(campaign_id: int) -> list[PaymentEvent]:
    """The campaign's captured payments without a capture entry, in capture order."""
    logged = LogEntry.objects.filter(campaign_id=campaign_id, kind="capture").values("payment_id")
    return list(
        PaymentEvent.objects.filter(campaign_id=campaign_id, event_type=PaymentEventType.CAPTURED)
        .exclude(payment_id__in=logged)
        .order_by("occurred_at", "pk")
    )


def refunds_counted(campaign_id: int) -> QuerySet[RefundProjection]:
    """The campaign's refunds that stand (not failed) of payments whose capture came: a refund
    of a capture still on its way waits for it (``DeferredRefund``), as in the projector."""
    captured = PaymentEvent.objects.filter(
        campaign_id=campaign_id, event_type=PaymentEventType.CAPTURED
    ).values("payment_id")
    return RefundProjection.objects.filter(
        campaign_id=campaign_id, failed_at=None, payment_id__in=captured
    )


def refunds_unlogged(campaign_id: int) -> list[RefundProjection]:
    """The campaign's counted refunds without a refund entry, in refund order."""
    logged = LogEntry.objects.filter(campaign_id=campaign_id, kind="refund").values("refund_id")
    return list(
        refunds_counted(campaign_id).exclude(refund_id__in=logged).order_by("occurred_at", "pk")
    )


def log_backfill(*, campaign_id: int, commitment_of: Callable[[int], str | None]) -> Backfill:
    """Append the campaign's unlogged captures and refunds; return what was done and left."""
    result = Backfill()
    commitments: dict[int, str] = {}
    for payment in captures_unlogged(campaign_id):
        commitment = commitment_of(payment.payment_id)
        if commitment:
            commitments[payment.payment_id] = commitment
        else:
            result.without_commitment.append(payment.payment_id)
    with transaction.atomic(durable=True):
        if not Campaign.objects.select_for_update().filter(pk=campaign_id).exists():
            return result
        items: list[LogItem] = [
            CaptureApplied(
                campaign_id=campaign_id,
                payment_id=row.payment_id,
                amount=row.amount,
                currency=row.currency,
                occurred_at=row.occurred_at,
                commitment=commitments[row.payment_id],
            )
            for row in captures_unlogged(campaign_id)  # again, under the lock
            if row.payment_id in commitments
        ]
        items += [
            RefundApplied(
                campaign_id=campaign_id,
                refund_id=row.refund_id,
                payment_id=row.payment_id,
                amount=row.amount,
                currency=row.currency,
                occurred_at=row.occurred_at,
            )
            for row in refunds_unlogged(campaign_id)
        ]
        before = LogEntry.objects.filter(campaign_id=campaign_id).count()
        log_append(items)
        result.appended = LogEntry.objects.filter(campaign_id=campaign_id).count() - before
    return result
