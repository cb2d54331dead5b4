"""The campaign projector: pledge and payment events into the read model (SPEC §3, §4).

The inbox hands it a batch of new events (their ids not applied before) inside one transaction,
which also records their ids. It is order-independent on top of that:

- one ``PledgeProjection`` row per pledge; a pledge's amount moves between the campaign's
  buckets only when its status rank rises (``STATUS_RANK``), so a late or repeated event moves
  nothing;
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

from django.db.models import BigIntegerField, Case, F, Value, When
from django.utils import timezone

from campaigns import cache
from campaigns.models import (
    STATUS_BUCKET,
    STATUS_RANK,
    TERMINAL,
    Campaign,
    PaymentEvent,
    PaymentEventType,
    PledgeProjection,
    PledgeStatus,
    RefundProjection,
)
from careforall_common.events import (
    EVENT_TYPES,
    ContractError,
    Envelope,
    PaymentRefunded,
    PaymentReported,
    PledgeCreated,
    PledgeStatusChanged,
)
from careforall_common.inbox.handlers import RejectEvent

logger = logging.getLogger(__name__)

PROJECTED = (PledgeCreated, PledgeStatusChanged, PaymentReported, PaymentRefunded)


@dataclass(frozen=True)
class PledgeFacts:
    pledge_id: int
    campaign_id: int
    amount: int
    currency: str
    status: PledgeStatus


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


def project_one(envelope: Envelope) -> None:
    """The handler of one event (``EVENT_HANDLERS``): a batch of one."""
    rejected = project_batch([envelope])
    if rejected:
        raise RejectEvent(rejected[envelope.event_id])


def project_batch(envelopes: list[Envelope]) -> dict[str, str]:
    """Apply ``envelopes`` in the caller's transaction; return ``{event_id: error}`` of rejects."""
    rejected: dict[str, str] = {}
    events = []
    for envelope in envelopes:
        cls = EVENT_TYPES.get(envelope.event_type)
        try:
            if cls is None or not issubclass(cls, PROJECTED):
                raise ContractError(f"{envelope.event_type} is not projected here")
            events.append((envelope, cls.parse(envelope.payload)))
        except ContractError as error:
            rejected[envelope.event_id] = str(error)
    if not events:
        return rejected
    campaign_ids = sorted({event.campaign_id for _, event in events})
    pledge_ids = {
        event.pledge_id
        for _, event in events
        if isinstance(event, (PledgeCreated, PledgeStatusChanged))
    }
    payment_ids = {event.payment_id for _, event in events if isinstance(event, PaymentReported)}
    refund_ids = {event.refund_id for _, event in events if isinstance(event, PaymentRefunded)}
    batch = _Batch(
        currencies=dict(
            Campaign.objects.select_for_update()
            .filter(pk__in=campaign_ids)
            .order_by("pk")
            .values_list("pk", "currency")
        ),
        pledges={
            row.pk: _Pledge(
                row=row,
                campaign_id=row.campaign_id,
                amount=row.amount,
                currency=row.currency,
                status=PledgeStatus(row.status),
                donor={},
            )
            for row in PledgeProjection.objects.select_for_update().filter(pk__in=pledge_ids)
        },
        audited=set(
            PaymentEvent.objects.filter(payment_id__in=payment_ids).values_list(
                "payment_id", "event_type"
            )
        )
        if payment_ids
        else set(),
        refunded=set(
            RefundProjection.objects.filter(pk__in=refund_ids).values_list("pk", flat=True)
        )
        if refund_ids
        else set(),
    )
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
        batch.add(event.campaign_id, STATUS_BUCKET[status], event.amount)
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
    if pledge.status in TERMINAL or STATUS_RANK[status] <= STATUS_RANK[pledge.status]:
        return  # late, repeated, or from a terminal status: nothing moves (SPEC §5.3)
    batch.add(pledge.campaign_id, STATUS_BUCKET[pledge.status], -pledge.amount)
    batch.add(pledge.campaign_id, STATUS_BUCKET[status], pledge.amount)
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
    deltas = {
        campaign_id: {column: amount for column, amount in totals.items() if amount}
        for campaign_id, totals in batch.deltas.items()
    }
    touched = sorted(campaign_id for campaign_id, totals in deltas.items() if totals)
    if len(touched) == 1:
        (campaign_id,) = touched
        moves = {column: F(column) + amount for column, amount in deltas[campaign_id].items()}
        Campaign.objects.filter(pk=campaign_id).update(**moves)
    elif touched:  # one statement for every campaign: each row gets its own amounts
        columns = sorted({column for totals in deltas.values() for column in totals})
        Campaign.objects.filter(pk__in=touched).update(
            **{
                column: F(column)
                + Case(
                    *(
                        When(pk=campaign_id, then=Value(totals[column]))
                        for campaign_id, totals in deltas.items()
                        if column in totals
                    ),
                    default=Value(0),
                    output_field=BigIntegerField(),
                )
                for column in columns
            }
        )
    cache.campaigns_changed(touched)


def pledge_facts(event: PledgeCreated | PledgeStatusChanged) -> PledgeFacts:
    """The pledge facts an event states."""
    status = event.status if isinstance(event, PledgeCreated) else event.new_status
    return PledgeFacts(
        pledge_id=event.pledge_id,
        campaign_id=event.campaign_id,
        amount=event.amount,
        currency=event.currency,
        status=PledgeStatus(status),
    )
