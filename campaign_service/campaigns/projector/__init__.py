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
pledges to one popular campaign cost one row update, not one each. The statements of the
common events (the locks, the pledge and audit rows, the totals) are plain SQL (``rows``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from campaigns.models import PlanProjection, RefundProjection
from campaigns.projector import rows
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
    currencies = rows.campaigns_lock(campaign_ids)
    refunds = RefundProjection.objects.select_for_update().filter(pk__in=refund_ids)
    plans = PlanProjection.objects.select_for_update().filter(pk__in=plan_ids)
    return Batch(
        currencies=currencies,
        pledges={
            pledge_id: PledgeState(
                known=True,
                campaign_id=campaign_id,
                amount=amount,
                currency=currency,
                status=PledgeStatus(status),
                donor={"donor_name": name, "anonymous": bool(anonymous), "occurred_at": at},
            )
            for pledge_id, campaign_id, amount, currency, status, name, anonymous, at in (
                rows.pledges_lock(pledge_ids)
            )
        },
        audited=rows.audited_read(payment_ids),
        refunds={row.pk: row for row in refunds} if refund_ids else {},
        plans={row.pk: row for row in plans} if plan_ids else {},
        now=rows.db_time(timezone.now()),
    )


def _write(batch: Batch) -> None:
    new: list[tuple[Any, ...]] = []
    changed: list[tuple[Any, ...]] = []
    for pledge_id, pledge in sorted(batch.pledges.items()):
        if pledge.known and not pledge.changed:
            continue
        donor = pledge.donor
        (changed if pledge.known else new).append(
            (
                pledge_id,
                pledge.campaign_id,
                pledge.amount,
                pledge.currency,
                pledge.status.value,
                donor["donor_name"],
                donor["anonymous"],
                rows.db_time(donor["occurred_at"]),  # type: ignore[arg-type]
                batch.now,
            )
        )
    rows.pledges_write(new, changed)
    rows.audit_write(batch.audit_rows)
    refunds_write(batch)
    plans_write(batch)
    if settings.TRANSPARENCY_LOG:  # off only in development and benchmarks (settings)
        log_append(batch.log)  # the transparency logs, under the same campaign locks
    campaign_totals_move(deltas=batch.deltas)
