"""A plan's Customer and saved card (docs/recurring.md): made, recorded, replaced.

The card comes from the provider only: the intent of the plan's first payment once captured,
a SetupIntent that succeeded (the donor's browser, reported by webhook), or one confirmed
server-side. Each report is recorded in one transaction with its ``PLAN_CARD_CHANGED``; a report
of the card the plan has already, of an older intent than the one that saved it, or of the first
payment's card once the plan has one, changes nothing and publishes nothing.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction

from careforall_common.contracts.statuses import PaymentStatus
from careforall_common.problems import Problem
from payments.models import Payment, PlanCharge
from saved_cards.events import plan_card_changed_publish
from saved_cards.models import PlanCard
from saved_cards.provider import (
    CardRefused,
    SavedCard,
    customer_create,
    intent_card,
    setup_intent_card,
    setup_intent_create,
)

logger = logging.getLogger(__name__)

NO_PLAN = "No saved card for this plan."


def plan_customer_get_or_make(*, plan_id: int, email: str, name: str) -> PlanCard:
    """The plan's row with its Customer, made at the provider (same key each time) if new.

    Raises ``ProviderUnavailable`` when the provider cannot make it now.
    """
    card = PlanCard.objects.filter(plan_id=plan_id).first()
    if card is not None:
        return card
    customer = customer_create(plan_id=plan_id, email=email, name=name)
    try:
        with transaction.atomic(durable=True):
            return PlanCard.objects.create(plan_id=plan_id, customer=customer)
    except IntegrityError:  # a concurrent call saved it (the same Customer: the same key)
        return PlanCard.objects.get(plan_id=plan_id)


def plan_card_save(card: SavedCard, *, first: bool = False) -> PlanCard | None:
    """Make ``card`` its Customer's plan's card in the caller's transaction; return the row when
    it changed (``PLAN_CARD_CHANGED`` published), None when it did not or is no plan's.

    ``first``: the card of the plan's first payment, which only a plan without a card takes. A
    card change may be recorded before it (the capture's task runs late) in the same second of
    the provider's clock, where ``saved_at`` cannot tell which is newer.
    """
    row = PlanCard.objects.select_for_update().filter(customer=card.customer).first()
    if row is None:
        logger.warning("saved card of customer %s: no plan has it", card.customer)
        return None
    if first and row.payment_method:
        return None
    if row.saved_at is not None and card.saved_at < row.saved_at:
        return None  # a report about an older card than the plan's
    if row.payment_method == card.payment_method:
        return None
    row.payment_method = card.payment_method
    row.card_brand, row.card_last4 = card.brand, card.last4
    row.card_fingerprint, row.saved_at = card.fingerprint, card.saved_at
    row.save(
        update_fields=[
            "payment_method",
            "card_brand",
            "card_last4",
            "card_fingerprint",
            "saved_at",
            "updated_at",
        ]
    )
    logger.info("plan %s: card %s saved", row.plan_id, card.payment_method)
    plan_card_changed_publish(row)
    return row


def plan_card_record(*, payment_id: int) -> bool:
    """Record the card a plan's captured first payment saved; return whether the plan's card
    changed. Raises ``ProviderUnavailable`` (retry) or ``ProviderRefused``."""
    payment = Payment.objects.filter(
        pk=payment_id,
        plan_charge=PlanCharge.FIRST,
        status__in=[PaymentStatus.CAPTURED, PaymentStatus.REFUNDED],
        provider_payment_id__isnull=False,
    ).first()
    if payment is None or payment.provider_payment_id is None:
        return False
    card = intent_card(payment.provider_payment_id)
    if card is None:
        logger.error("payment %s: its intent saved no card", payment_id)
        return False
    with transaction.atomic(durable=True):
        return plan_card_save(card, first=True) is not None


def setup_intent_record(*, setup_intent_id: str) -> bool:
    """A SetupIntent succeeded (webhook): record the card it saved, if it is a plan's.

    Raises ``ProviderUnavailable`` / ``ProviderRefused`` when it cannot be read now.
    """
    try:
        card = setup_intent_card(setup_intent_id)
    except CardRefused:
        return False  # not succeeded after all
    if card is None:
        return False
    with transaction.atomic(durable=True):
        return plan_card_save(card) is not None


def plan_card_change(*, plan_id: int, payment_method: str = "") -> dict[str, str | None]:
    """Replace the plan's card: a SetupIntent the donor's browser confirms (its client secret),
    or the card ``payment_method`` confirmed here (its brand and last four digits).

    404 without a plan card, 402 when the provider will not save the card; raises
    ``ProviderUnavailable`` when it cannot be reached.
    """
    row = PlanCard.objects.filter(plan_id=plan_id).first()
    if row is None:
        raise Problem(404, NO_PLAN)
    try:
        setup = setup_intent_create(
            plan_id=plan_id, customer=row.customer, payment_method=payment_method
        )
        if not payment_method:
            return {
                "client_secret": setup.client_secret,
                "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
            }
        card = setup_intent_card(setup)
    except CardRefused as refused:
        raise Problem(402, f"The card was not saved: {refused.reason}.") from None
    if card is None:
        raise Problem(402, "The card was not saved.")
    with transaction.atomic(durable=True):
        plan_card_save(card)
    return {"card_brand": card.brand or None, "card_last4": card.last4 or None}
