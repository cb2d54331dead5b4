"""What plans consume (docs/recurring.md): the outcome of an installment's payment, a card
change, a campaign that closed.

``plan_card_changed`` is named in ``CAREFORALL["EVENT_HANDLERS"]``; the others are called by
pledges' handlers (``pledges.handlers``) after the pledge took the event. All run inside the
inbox's transaction, which records the event id.
"""

from __future__ import annotations

from datetime import datetime

from careforall_common.contracts.events import (
    Envelope,
    PaymentCaptured,
    PaymentFailed,
    PaymentReported,
    PlanCardChanged,
)
from careforall_common.inbox.handlers import RejectEvent
from plans.models import RecurringPlan
from plans.services.changes import plan_card_set, plans_cancel_for_campaign
from plans.services.outcomes import installment_captured, installment_failed


def plan_card_changed(envelope: Envelope) -> None:
    event = PlanCardChanged.parse(envelope.payload)
    try:
        plan_card_set(
            plan_id=event.plan_id, card_brand=event.card_brand, card_last4=event.card_last4
        )
    except RecurringPlan.DoesNotExist as error:
        raise RejectEvent(f"no plan {event.plan_id}") from error


def installment_payment_reported(*, event: PaymentReported, occurred_at: datetime) -> None:
    """A payment event about a pledge: when the pledge is an installment, its plan moves."""
    if isinstance(event, PaymentCaptured):
        installment_captured(
            pledge_id=event.pledge_id,
            occurred_at=occurred_at,
            card_brand=event.card_brand,
            card_last4=event.card_last4,
        )
    elif isinstance(event, PaymentFailed):
        installment_failed(pledge_id=event.pledge_id, occurred_at=occurred_at, error=event.error)


def campaign_closed(*, campaign_id: int, occurred_at: datetime) -> None:
    """A campaign that closed or was deleted cancels its plans (``campaign_closed``)."""
    plans_cancel_for_campaign(campaign_id=campaign_id, occurred_at=occurred_at)
