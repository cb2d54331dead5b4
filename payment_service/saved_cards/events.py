"""What saved_cards publishes (docs/recurring.md): the card a plan's installments now use."""

from __future__ import annotations

from careforall_common.contracts.events import PlanCardChanged
from careforall_common.outbox.services import outbox_publish
from saved_cards.models import PlanCard


def plan_card_changed_publish(card: PlanCard) -> None:
    """Publish ``PLAN_CARD_CHANGED`` (brand and last four only) in the caller's transaction."""
    outbox_publish(
        PlanCardChanged(
            plan_id=card.plan_id, card_brand=card.card_brand, card_last4=card.card_last4
        )
    )
