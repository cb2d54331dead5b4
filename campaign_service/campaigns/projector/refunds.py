"""Refunds in the read model: ``PAYMENT_REFUNDED`` counts, ``PAYMENT_REFUND_FAILED`` un-counts.

One ``RefundProjection`` row per refund id, whatever the order and the repeats: the first event
of a refund makes its row, so a refund counts once, and un-counts once. A failure that arrives
before its refund (two deliveries racing) makes the row failed, so the refund, when it comes,
finds it and counts nothing. A refund needs no pledge row: it applies before or after the
pledge's own events.
"""

from __future__ import annotations

from campaigns.models import RefundProjection
from campaigns.projector.batch import Batch
from careforall_common.contracts.events import Envelope, PaymentRefunded, PaymentRefundFailed
from careforall_common.inbox.handlers import RejectEvent
from transparency.appends import RefundApplied, RefundUndone


def refund_counted(batch: Batch, envelope: Envelope, event: PaymentRefunded) -> None:
    """Count a refund once, by its id, in the campaign's ``refunded_amount``."""
    if event.refund_id in batch.refunds:
        return  # on record already: counted, or failed before it came
    _row_make(batch, envelope, event)
    batch.add(event.campaign_id, "refunded_amount", event.amount)
    batch.log.append(
        RefundApplied(
            campaign_id=event.campaign_id,
            refund_id=event.refund_id,
            payment_id=event.payment_id,
            amount=event.amount,
            currency=event.currency,
            occurred_at=envelope.occurred_at,
        )
    )


def refund_failed(batch: Batch, envelope: Envelope, event: PaymentRefundFailed) -> None:
    """Mark the refund failed, and take what it counted out of ``refunded_amount``, once."""
    row = batch.refunds.get(event.refund_id)
    if row is None:
        row = _row_make(batch, envelope, event)
        row.failed_at = envelope.occurred_at
        return  # never counted: its PAYMENT_REFUNDED, when it comes, counts nothing
    if row.campaign_id != event.campaign_id:
        raise RejectEvent(
            f"refund {event.refund_id} belongs to campaign {row.campaign_id}, "
            f"not {event.campaign_id}"
        )
    if row.failed_at is not None:
        return  # failed already
    row.failed_at = envelope.occurred_at
    if event.refund_id not in batch.new_refunds:
        batch.failed_refunds.add(event.refund_id)
    # The amount the row counted, whatever the event says: a bucket only loses what it got.
    batch.add(row.campaign_id, "refunded_amount", -row.amount)
    batch.log.append(
        RefundUndone(
            campaign_id=row.campaign_id, refund_id=event.refund_id, occurred_at=envelope.occurred_at
        )
    )


def _row_make(
    batch: Batch, envelope: Envelope, event: PaymentRefunded | PaymentRefundFailed
) -> RefundProjection:
    row = RefundProjection(
        refund_id=event.refund_id,
        payment_id=event.payment_id,
        pledge_id=event.pledge_id,
        campaign_id=event.campaign_id,
        amount=event.amount,
        currency=event.currency,
        occurred_at=envelope.occurred_at,
        event_id=envelope.event_id,
    )
    batch.refunds[event.refund_id] = row
    batch.new_refunds.add(event.refund_id)
    return row


def refunds_write(batch: Batch) -> None:
    RefundProjection.objects.bulk_create([batch.refunds[pk] for pk in sorted(batch.new_refunds)])
    failed = [batch.refunds[pk] for pk in sorted(batch.failed_refunds)]
    if failed:
        RefundProjection.objects.bulk_update(failed, ["failed_at"])
