"""Pledge and payment events in the read model: buckets by status rank, payments audited.

A pledge's amount moves between the campaign's buckets only when its status moves forward
(``careforall_common.contracts.transitions``), so a late or repeated event moves nothing;
payment events drive ``total_payments`` and the audit trail only, never the buckets.
"""

from __future__ import annotations

import logging

from campaigns.models import PaymentEventType
from campaigns.projector.batch import Batch, PledgeState
from campaigns.projector.rows import db_time
from careforall_common.contracts.events import (
    Envelope,
    PaymentReported,
    PledgeCreated,
    PledgeStatusChanged,
)
from careforall_common.contracts.statuses import PledgeStatus
from careforall_common.contracts.transitions import PLEDGE_STATUS_BUCKET, pledge_status_moves
from careforall_common.inbox.handlers import RejectEvent
from transparency.appends import CaptureApplied

logger = logging.getLogger(__name__)


def pledge_apply(
    batch: Batch, envelope: Envelope, event: PledgeCreated | PledgeStatusChanged
) -> None:
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
        batch.pledges[event.pledge_id] = PledgeState(
            known=False,
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


def _advance(batch: Batch, pledge: PledgeState, status: PledgeStatus) -> None:
    """Move ``pledge`` to ``status`` if that ranks higher, with its amount; else nothing.

    The stored amount moves, whatever a later event says, so a bucket only ever loses what it
    was given; a CHECK constraint turns any attempt to go below zero into an error.
    """
    if not pledge_status_moves(pledge.status, status):
        return  # late, repeated, or from a terminal status: nothing moves (SPEC §5.3)
    batch.add(pledge.campaign_id, PLEDGE_STATUS_BUCKET[pledge.status], -pledge.amount)
    batch.add(pledge.campaign_id, PLEDGE_STATUS_BUCKET[status], pledge.amount)
    pledge.status, pledge.changed = status, True


def payment_apply(batch: Batch, envelope: Envelope, event: PaymentReported) -> None:
    """One audit row per payment and event type; a capture counts in ``total_payments`` once."""
    event_type = PaymentEventType(event.EVENT_TYPE)
    if (event.payment_id, event_type) in batch.audited:
        return  # on record already: a repeat of this payment's event under another event id
    batch.audited.add((event.payment_id, event_type))
    batch.audit_rows.append(
        (
            event.payment_id,
            event_type.value,
            event.pledge_id,
            event.campaign_id,
            event.amount,
            event.currency,
            event.error,
            db_time(envelope.occurred_at),
            envelope.event_id,
            batch.now,
        )
    )
    if event_type == PaymentEventType.CAPTURED:
        batch.add(event.campaign_id, "total_payments", 1)
        batch.log.append(
            CaptureApplied(
                campaign_id=event.campaign_id,
                payment_id=event.payment_id,
                amount=event.amount,
                currency=event.currency,
                occurred_at=envelope.occurred_at,
                commitment=event.commitment,
            )
        )
