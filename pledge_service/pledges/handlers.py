"""What pledges consume: event handlers, named in ``CAREFORALL["EVENT_HANDLERS"]`` (SPEC §4).

Each runs inside the inbox's transaction, which records the event id: a redelivery is dropped
before it gets here. Payloads are parsed with the shared contracts; ``ContractError`` and
``RejectEvent`` park an event that can never apply (the relay does not retry it); anything else
is retried.
"""

from __future__ import annotations

from careforall_common.contracts.events import (
    CampaignChanged,
    Envelope,
    PaymentAuthorized,
    PaymentCaptured,
    PaymentFailed,
    PaymentRefunded,
    PaymentRefundFailed,
    PaymentReported,
)
from careforall_common.contracts.statuses import CAMPAIGN_FINAL, PledgeStatus
from careforall_common.inbox.handlers import RejectEvent
from notices.handlers import receipt_enqueue, refund_notice_enqueue
from plans.handlers import campaign_closed, installment_payment_reported
from pledges.campaign_facts import campaign_facts_apply
from pledges.models import Pledge
from pledges.selectors import refund_failed
from pledges.services import pledge_advance, pledge_refund, pledge_refund_failed


def payment_authorized(envelope: Envelope) -> None:
    _payment_reported(PaymentAuthorized.parse(envelope.payload))


def payment_captured(envelope: Envelope) -> None:
    event = PaymentCaptured.parse(envelope.payload)
    _payment_reported(event)
    receipt_enqueue(event=event, occurred_at=envelope.occurred_at)  # once per payment
    # An installment's capture moves its plan too (and gets the same receipt as any gift).
    installment_payment_reported(event=event, occurred_at=envelope.occurred_at)


def payment_failed(envelope: Envelope) -> None:
    event = PaymentFailed.parse(envelope.payload)
    _payment_reported(event)
    installment_payment_reported(event=event, occurred_at=envelope.occurred_at)  # dunning


def payment_refunded(envelope: Envelope) -> None:
    event = PaymentRefunded.parse(envelope.payload)
    try:
        pledge_refund(
            pledge_id=event.pledge_id,
            campaign_id=event.campaign_id,
            refunded_total=event.refunded_total,
            currency=event.currency,
            refund_id=event.refund_id,
        )
    except Pledge.DoesNotExist as error:
        raise RejectEvent(f"no pledge {event.pledge_id}") from error
    except ValueError as error:  # money that does not match the pledge: for an operator
        raise RejectEvent(str(error)) from error
    if not refund_failed(refund_id=event.refund_id):
        refund_notice_enqueue(event=event, occurred_at=envelope.occurred_at)  # once per refund


def payment_refund_failed(envelope: Envelope) -> None:
    """A partial refund the provider failed after it succeeded: the donor has it back no more.

    ``refunded_amount`` goes down to the event's ``refunded_total``, once per refund. The refund
    notice already sent stays sent; no other email (docs/pledges.md "Refunds").
    """
    event = PaymentRefundFailed.parse(envelope.payload)
    try:
        pledge_refund_failed(
            pledge_id=event.pledge_id,
            campaign_id=event.campaign_id,
            refund_id=event.refund_id,
            amount=event.amount,
            refunded_total=event.refunded_total,
            currency=event.currency,
        )
    except Pledge.DoesNotExist as error:
        raise RejectEvent(f"no pledge {event.pledge_id}") from error
    except ValueError as error:  # money that does not match the pledge: for an operator
        raise RejectEvent(str(error)) from error


def campaign_changed(envelope: Envelope) -> None:
    """Keep the local copy of a campaign's facts; the newest ``occurred_at`` wins.

    A deleted campaign's last event says ``deleted``; that is kept too, so that no older report
    can bring the campaign back.
    """
    facts = CampaignChanged.parse(envelope.payload)
    campaign_facts_apply(
        campaign_id=facts.campaign_id,
        status=facts.status,
        currency=facts.currency,
        refreshed_at=envelope.occurred_at,
    )
    if facts.status in CAMPAIGN_FINAL:
        campaign_closed(campaign_id=facts.campaign_id, occurred_at=envelope.occurred_at)


def _payment_reported(event: PaymentReported) -> None:
    try:
        pledge_advance(
            pledge_id=event.pledge_id,
            status=PledgeStatus(event.PLEDGE_STATUS),
            campaign_id=event.campaign_id,
            amount=event.amount,
            currency=event.currency,
        )
    except Pledge.DoesNotExist as error:
        raise RejectEvent(f"no pledge {event.pledge_id}") from error
    except ValueError as error:  # money that does not match the pledge: for an operator
        raise RejectEvent(str(error)) from error
