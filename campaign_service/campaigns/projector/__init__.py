"""The campaign projector: the read model's writer for pledge, payment and plan events (SPEC §3,
§4).

``campaigns.handlers`` hands it a batch of new, parsed events (their ids not applied before)
inside the inbox's transaction, which also records their ids. It is order-independent on top of
that:

- one ``PledgeProjection`` row per pledge, its amount in the bucket of its status, moved only
  forward (``pledges``); payment events drive ``total_payments`` and the audit trail only;
- one ``RefundProjection`` row per refund id: ``PAYMENT_REFUNDED`` adds its amount to
  ``refunded_amount``, ``PAYMENT_REFUND_FAILED`` takes it out again, each once (``refunds``);
- one transparency log entry per capture, refund and failed refund it counts
  (``transparency.appends``), in the same transaction and under the same campaign locks;
- one ``PlanProjection`` row per recurring plan: ``PLAN_CHANGED`` moves ``active_plans`` and
  ``monthly_recurring_amount`` by the difference it makes (``plans``).

A batch locks its campaigns' rows first, in id order, then the projection rows of its pledges,
refunds and plans: one lock order for every batch, for a single event (a batch of one) and for
``reconcile --fix``, so concurrent batches queue up instead of deadlocking (an insert of a child
row takes a shared lock on the campaign row it refers to). The events are then folded in
memory, and the database sees one insert of the new rows and one update of the changed ones per
table, and one F-expression update of the campaigns, whatever the size of the batch: many
pledges to one popular campaign cost one row update, not one each.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from campaigns.models import (
    Campaign,
    PaymentEvent,
    PlanProjection,
    PledgeProjection,
    RefundProjection,
)
from campaigns.projector.batch import Batch, PledgeState
from campaigns.projector.plans import plan_changed, plans_write
from campaigns.projector.pledges import payment_apply, pledge_apply
from campaigns.projector.refunds import refund_counted, refund_failed, refunds_write
from campaigns.services import campaign_totals_move
from careforall_common.contracts.events import (
    Envelope,
    PaymentRefunded,
    PaymentRefundFailed,
    PaymentReported,
    PlanChanged,
    PledgeCreated,
    PledgeStatusChanged,
)
from careforall_common.contracts.statuses import PledgeStatus
from careforall_common.inbox.handlers import RejectEvent
from transparency.appends import log_append

Projected = (
    PledgeCreated
    | PledgeStatusChanged
    | PaymentReported
    | PaymentRefunded
    | PaymentRefundFailed
    | PlanChanged
)
Parsed = tuple[Envelope, Projected]


def batch_apply(events: list[Parsed]) -> dict[str, str]:
    """Apply parsed ``events`` in the caller's transaction; return the rejects by event id."""
    rejected: dict[str, str] = {}
    if not events:
        return rejected
    batch = _batch_load(events)
    for envelope, event in events:
        try:
            if event.campaign_id not in batch.currencies:
                # Never dropped in silence: the publisher parks it as a dead letter, visible
                # and replayable.
                raise RejectEvent(f"campaign {event.campaign_id} is unknown")
            _apply(batch, envelope, event)
        except RejectEvent as error:
            rejected[envelope.event_id] = str(error)
    _write(batch)
    return rejected


def _apply(batch: Batch, envelope: Envelope, event: Projected) -> None:
    if isinstance(event, PaymentReported):
        payment_apply(batch, envelope, event)
    elif isinstance(event, PaymentRefunded):
        refund_counted(batch, envelope, event)
    elif isinstance(event, PaymentRefundFailed):
        refund_failed(batch, envelope, event)
    elif isinstance(event, PlanChanged):
        plan_changed(batch, envelope, event)
    else:
        pledge_apply(batch, envelope, event)


def _ids(events: list[Parsed], kind: type | tuple[type, ...], name: str) -> set[int]:
    return {getattr(event, name) for _, event in events if isinstance(event, kind)}


def _batch_load(events: list[Parsed]) -> Batch:
    """Lock the batch's campaigns in id order, then its rows; read what is on record."""
    campaign_ids = sorted({event.campaign_id for _, event in events})
    pledge_ids = _ids(events, (PledgeCreated, PledgeStatusChanged), "pledge_id")
    payment_ids = _ids(events, PaymentReported, "payment_id")
    refund_ids = _ids(events, (PaymentRefunded, PaymentRefundFailed), "refund_id")
    plan_ids = _ids(events, PlanChanged, "plan_id")
    currencies = dict(
        Campaign.objects.select_for_update()
        .filter(pk__in=campaign_ids)
        .order_by("pk")
        .values_list("pk", "currency")
    )
    rows = PledgeProjection.objects.select_for_update().filter(pk__in=pledge_ids)
    audited = PaymentEvent.objects.filter(payment_id__in=payment_ids)
    refunds = RefundProjection.objects.select_for_update().filter(pk__in=refund_ids)
    plans = PlanProjection.objects.select_for_update().filter(pk__in=plan_ids)
    return Batch(
        currencies=currencies,
        pledges={
            row.pk: PledgeState(
                row=row,
                campaign_id=row.campaign_id,
                amount=row.amount,
                currency=row.currency,
                status=PledgeStatus(row.status),
                donor={},
            )
            for row in rows
        },
        audited=set(audited.values_list("payment_id", "event_type")) if payment_ids else set(),
        refunds={row.pk: row for row in refunds} if refund_ids else {},
        plans={row.pk: row for row in plans} if plan_ids else {},
    )


def _write(batch: Batch) -> None:
    now = timezone.now()
    new, changed = [], []
    for pledge_id, pledge in batch.pledges.items():
        if pledge.row is None:
            new.append(
                PledgeProjection(
                    pledge_id=pledge_id,
                    campaign_id=pledge.campaign_id,
                    amount=pledge.amount,
                    currency=pledge.currency,
                    status=pledge.status,
                    updated_at=now,
                    **pledge.donor,
                )
            )
        elif pledge.changed:
            row = pledge.row
            row.status, row.updated_at = pledge.status, now
            for name, value in pledge.donor.items():
                setattr(row, name, value)
            changed.append(row)
    PledgeProjection.objects.bulk_create(new)
    if changed:
        PledgeProjection.objects.bulk_update(
            changed, ["status", "donor_name", "anonymous", "occurred_at", "updated_at"]
        )
    PaymentEvent.objects.bulk_create(batch.audit_rows)
    refunds_write(batch)
    plans_write(batch)
    if settings.TRANSPARENCY_LOG:  # off only in development and benchmarks (settings)
        log_append(batch.log)  # the transparency logs, under the same campaign locks
    campaign_totals_move(deltas=batch.deltas)
