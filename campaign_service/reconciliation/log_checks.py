"""The transparency logs against the read model (SPEC §3, §5.13): every captured payment has one
capture entry, every counted refund one refund entry referring to its capture's entry, and the
log's total is what they add up to. A repair only appends what is missing
(``transparency.backfill``, asking payment_service for commitments); nothing is rewritten."""

from __future__ import annotations

from django.db.models import Sum

from campaigns.models import PaymentEvent, PaymentEventType, RefundProjection
from reconciliation.reconcile_checks import Difference
from transparency.backfill import (
    captures_unlogged,
    log_backfill,
    refunds_counted,
    refunds_unlogged,
)
from transparency.clients.payments import PaymentsUnavailable, commitment_get
from transparency.models import LogEntry, TransparencyLog


def log_differences(campaign_id: int) -> list[Difference]:
    differences = [
        Difference(campaign_id, f"log: capture of payment {row.payment_id}", "missing", "1 entry")
        for row in captures_unlogged(campaign_id)
    ]
    differences += [
        Difference(campaign_id, f"log: refund {row.refund_id}", "missing", "1 entry")
        for row in refunds_unlogged(campaign_id)
    ]
    entries = LogEntry.objects.filter(campaign_id=campaign_id)
    captures: dict[int | None, int | None] = dict(
        entries.filter(kind="capture").values_list("index", "payment_id")
    )
    paid: dict[int | None, int] = dict(
        RefundProjection.objects.filter(campaign_id=campaign_id).values_list("pk", "payment_id")
    )
    for refund_id, refers_to in entries.filter(kind="refund").values_list("refund_id", "refers_to"):
        if captures.get(refers_to) != paid.get(refund_id):
            differences.append(
                Difference(
                    campaign_id,
                    f"log: refund {refund_id}",
                    f"refers to entry {refers_to}",
                    f"the capture of payment {paid.get(refund_id)}",
                )
            )
    total = TransparencyLog.objects.filter(pk=campaign_id).values_list("total", flat=True).first()
    expected = _counted(campaign_id)
    if (total or 0) != expected:
        differences.append(Difference(campaign_id, "log: total", total or 0, expected))
    return differences


def _counted(campaign_id: int) -> int:
    """What the log should add up to: captured payments less the refunds that stand."""
    captured = PaymentEvent.objects.filter(
        campaign_id=campaign_id, event_type=PaymentEventType.CAPTURED
    ).aggregate(total=Sum("amount"))["total"]
    refunded = refunds_counted(campaign_id).aggregate(total=Sum("amount"))["total"]
    return (captured or 0) - (refunded or 0)


def log_repair(campaign_id: int) -> list[Difference]:
    """Append what the log lacks; return what is still missing (no commitment, or a refund
    whose capture is not logged) or, with payment_service out of reach, everything."""
    try:
        log_backfill(campaign_id=campaign_id, commitment_of=commitment_get)
    except PaymentsUnavailable as error:
        return [Difference(campaign_id, "log: not repaired", str(error), "payment_service")]
    return log_differences(campaign_id)
