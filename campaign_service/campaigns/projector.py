"""The campaign projector: the read model's writer for pledge and payment events (SPEC §3, §4).

``campaigns.handlers`` hands it a batch of new, parsed events (their ids not applied before)
inside the inbox's transaction, which also records their ids. It is order-independent on top of
that:

- one ``PledgeProjection`` row per pledge; a pledge's amount moves between the campaign's
  buckets only when its status moves forward (``careforall_common.contracts.transitions``),
  so a late or repeated event moves nothing;
- payment events drive ``total_payments`` and the audit trail only, never the buckets;
- ``PAYMENT_REFUNDED`` adds one ``RefundProjection`` row per refund id and its amount to the
  campaign's ``refunded_amount``; it needs no pledge row, so it applies before or after the
  pledge's own events.

A batch locks its campaigns' rows first, in id order, then the projection rows of its pledges:
one lock order for every batch, for a single event (a batch of one) and for ``reconcile --fix``,
so concurrent batches queue up instead of deadlocking (an insert of a child row takes a shared
lock on the campaign row it refers to). The events are then folded in memory, and the database
sees one insert of the new projection rows, one update of the changed ones, one insert of the
audit rows and one F-expression update per campaign, whatever the size of the batch: many
pledges to one popular campaign cost one row update, not one each.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from campaigns.models import (
    Campaign,
    PaymentEvent,
    PaymentEventType,
    PledgeProjection,
    RefundProjection,
)
from campaigns.services import campaign_totals_move
from careforall_common.contracts.events import (
    Envelope,
    PaymentRefunded,
    PaymentReported,
    PledgeCreated,
    PledgeStatusChanged,
)
from careforall_common.contracts.statuses import PledgeStatus
from careforall_common.contracts.transitions import PLEDGE_STATUS_BUCKET, pledge_status_moves
from careforall_common.inbox.handlers import RejectEvent

logger = logging.getLogger(__name__)


@dataclass
class _Pledge:
    """A projection row as the batch leaves it; ``row`` is None for a pledge new here."""

    row: PledgeProjection | None
    campaign_id: int
    amount: int
    currency: str
    status: PledgeStatus
    donor: dict[str, object]
    changed: bool = False


@dataclass
class _Batch:
    currencies: dict[int, str]
    pledges: dict[int, _Pledge]
    audited: set[tuple[int, str]]
    refunded: set[int]
    deltas: dict[int, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    audit_rows: list[PaymentEvent] = field(default_factory=list)
    refund_rows: list[RefundProjection] = field(default_factory=list)

    def add(self, campaign_id: int, column: str, amount: int) -> None:
        totals = self.deltas[campaign_id]
        totals[column] = totals.get(column, 0) + amount


Parsed = tuple[Envelope, PledgeCreated | PledgeStatusChanged | PaymentReported | PaymentRefunded]


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
            if isinstance(event, PaymentReported):
                _payment(batch, envelope, event)
            elif isinstance(event, PaymentRefunded):
                _refund(batch, envelope, event)
            else:
                _pledge(batch, envelope, event)
        except RejectEvent as error:
            rejected[envelope.event_id] = str(error)
    _write(batch)
    return rejected


def _batch_load(events: list[Parsed]) -> _Batch:
    """Lock the batch's campaigns in id order, then its pledges' rows; read what is on record."""
    campaign_ids = sorted({event.campaign_id for _, event in events})
    pledge_ids = {
        event.pledge_id
        for _, event in events
        if isinstance(event, (PledgeCreated, PledgeStatusChanged))
    }
    payment_ids = {event.payment_id for _, event in events if isinstance(event, PaymentReported)}
    refund_ids = {event.refund_id for _, event in events if isinstance(event, PaymentRefunded)}
    currencies = dict(
        Campaign.objects.select_for_update()
        .filter(pk__in=campaign_ids)
        .order_by("pk")
        .values_list("pk", "currency")
    )
    rows = PledgeProjection.objects.select_for_update().filter(pk__in=pledge_ids)
    audited = PaymentEvent.objects.filter(payment_id__in=payment_ids)
    refunded = RefundProjection.objects.filter(pk__in=refund_ids)
    return _Batch(
        currencies=currencies,
        pledges={
            row.pk: _Pledge(
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
        refunded=set(refunded.values_list("pk", flat=True)) if refund_ids else set(),
    )


def _pledge(batch: _Batch, envelope: Envelope, event: PledgeCreated | PledgeStatusChanged) -> None:
    """Count a pledge new here, or move a known one up; a creation also fills in the donor."""
    if isinstance(event, PledgeCreated):
        status = PledgeStatus(event.status)
        donor: dict[str, object] = {
            "donor_name": event.donor_name,
            "anonymous": event.anonymous,
            "occurred_at": event.created_at or envelope.occurred_at,
        }
    else:
        status = PledgeStatus(event.new_status)
        # Before its creation event, a pledge is anonymous: its donor's choice is not known yet.
        donor = {}
    if event.currency != batch.currencies[event.campaign_id]:
        # pledge_service checks the currency against its copy, which can lag a currency change
        # by a moment; the pledge exists, so it counts (SPEC §5.2), and reconcile shows it.
        logger.warning(
            "pledge %s is in %s, campaign %s in %s",
            event.pledge_id,
            event.currency,
            event.campaign_id,
            batch.currencies[event.campaign_id],
        )
    pledge = batch.pledges.get(event.pledge_id)
    if pledge is None:
        batch.pledges[event.pledge_id] = _Pledge(
            row=None,
            campaign_id=event.campaign_id,
            amount=event.amount,
            currency=event.currency,
            status=status,
            donor=donor
            or {"donor_name": "", "anonymous": True, "occurred_at": envelope.occurred_at},
            changed=True,
        )
        batch.add(event.campaign_id, PLEDGE_STATUS_BUCKET[status], event.amount)
        batch.add(event.campaign_id, "total_pledges", 1)
        return
    if pledge.campaign_id != event.campaign_id:
        raise RejectEvent(
            f"pledge {event.pledge_id} belongs to campaign {pledge.campaign_id}, "
            f"not {event.campaign_id}"
        )
    if donor:
        pledge.donor, pledge.changed = donor, True
    _advance(batch, pledge, status)


def _advance(batch: _Batch, pledge: _Pledge, status: PledgeStatus) -> None:
    """Move ``pledge`` to ``status`` if that ranks higher, with its amount; else nothing.

    The stored amount moves, whatever a later event says, so a bucket only ever loses what it
    was given; a CHECK constraint turns any attempt to go below zero into an error.
    """
    if not pledge_status_moves(pledge.status, status):
        return  # late, repeated, or from a terminal status: nothing moves (SPEC §5.3)
    batch.add(pledge.campaign_id, PLEDGE_STATUS_BUCKET[pledge.status], -pledge.amount)
    batch.add(pledge.campaign_id, PLEDGE_STATUS_BUCKET[status], pledge.amount)
    pledge.status, pledge.changed = status, True


def _payment(batch: _Batch, envelope: Envelope, event: PaymentReported) -> None:
    """One audit row per payment and event type; a capture counts in ``total_payments`` once."""
    event_type = PaymentEventType(event.EVENT_TYPE)
    if (event.payment_id, event_type) in batch.audited:
        return  # on record already: a repeat of this payment's event under another event id
    batch.audited.add((event.payment_id, event_type))
    batch.audit_rows.append(
        PaymentEvent(
            payment_id=event.payment_id,
            event_type=event_type,
            pledge_id=event.pledge_id,
            campaign_id=event.campaign_id,
            amount=event.amount,
            currency=event.currency,
            error=event.error,
            occurred_at=envelope.occurred_at,
            event_id=envelope.event_id,
        )
    )
    if event_type == PaymentEventType.CAPTURED:
        batch.add(event.campaign_id, "total_payments", 1)


def _refund(batch: _Batch, envelope: Envelope, event: PaymentRefunded) -> None:
    """Count a refund once, by its id, in the campaign's ``refunded_amount``."""
    if event.refund_id in batch.refunded:
        return  # on record already
    batch.refunded.add(event.refund_id)
    batch.refund_rows.append(
        RefundProjection(
            refund_id=event.refund_id,
            payment_id=event.payment_id,
            pledge_id=event.pledge_id,
            campaign_id=event.campaign_id,
            amount=event.amount,
            currency=event.currency,
            occurred_at=envelope.occurred_at,
            event_id=envelope.event_id,
        )
    )
    batch.add(event.campaign_id, "refunded_amount", event.amount)


def _write(batch: _Batch) -> None:
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
    RefundProjection.objects.bulk_create(batch.refund_rows)
    campaign_totals_move(deltas=batch.deltas)
