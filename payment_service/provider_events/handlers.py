"""The provider's webhooks (SPEC §3): verified, stored once, and read as hints.

An event says "look at this intent". Deliveries come late, twice and out of order, so the
payment moves only forward, to the state the intent is in *now*: when an event would move the
payment, the intent is retrieved from the provider (one GET) and its current state is applied;
when it would not (a duplicate, a late or backward event), nothing is asked. If the provider
cannot be reached for the retrieve, the event's own snapshot — signed by the provider — is
applied instead: forward-only, it cannot take the payment anywhere wrong.

Each event is stored before it is acted on and marked with its result in the transaction of
the effect. A redelivery of an event marked with a result changes nothing; one of an event still
``received`` (a crash or error in between) is acted on again. The view answers 2xx only after
the effect is committed, so the provider's retries cover every crash.

Refund and dispute events are hints too: a refund event makes the intent's refunds be read from
the provider (its list is the truth, whatever order the events come in), and a dispute event
the dispute; a payment they name that is not captured here yet is brought forward first
(``refunds.counting``). If the provider cannot be asked, a refund or dispute event's own signed
object is applied; a ``charge.refunded`` (which names no refund) is answered 503, so that it is
delivered again. The ``charge.refunded`` of a charge never captured (an authorization released
by canceling its intent) is no refund: it is ignored, never counted, never 503.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import replace
from typing import Any

from django.db import transaction

from careforall_common.contracts.statuses import PaymentStatus
from careforall_common.problems import Problem
from defence.outcomes import intent_declined
from payments.models import Payment
from payments.provider import IntentReport, intent_cancel_abandoned, intent_report, intent_retrieve
from payments.stripe_client import ProviderRefused, ProviderUnavailable
from payments.transitions import moves, payment_advance
from provider_events.models import ProviderEventResult
from provider_events.services import (
    StoredEvent,
    event_intent_id,
    payment_by_intent,
    provider_event_close,
    provider_event_result_set,
    provider_event_store,
)
from refunds.counting import PaymentNotCaptured, payment_bring_forward, refunds_observe
from refunds.disputes import dispute_observe
from refunds.provider import dispute_report, dispute_retrieve, refund_report, refunds_of_intent
from saved_cards.services.cards import setup_intent_record

logger = logging.getLogger(__name__)

MAX_ID_DIGITS = 18  # a BIGINT id; a longer "id" in metadata is no payment of this service
# authorized, captured, failed (SPEC §3), and an authorization released.
HANDLED = {
    "payment_intent.amount_capturable_updated",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
}
REFUND_EVENTS = {
    "charge.refunded",
    "refund.created",
    "refund.updated",
    "refund.failed",
    "charge.refund.updated",
}
DISPUTE_EVENTS = {"charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed"}
CARD_SAVED = "setup_intent.succeeded"  # a plan's card replaced (saved_cards)
UNAVAILABLE = "The provider cannot be reached; deliver the event again."


def webhook_event_handle(event: dict[str, Any]) -> str:
    """Act on a verified event once; return its result (a ``ProviderEventResult`` value)."""
    stored = provider_event_store(event)
    if stored.result != ProviderEventResult.RECEIVED:
        return "duplicate"
    if event["type"] in REFUND_EVENTS | DISPUTE_EVENTS:
        return _money_back(stored, event["type"], event["data"]["object"])
    if event["type"] == CARD_SAVED:
        return _card_saved(stored, event["data"]["object"])
    if event["type"] not in HANDLED or event["data"]["object"].get("object") != "payment_intent":
        return provider_event_close(stored, ProviderEventResult.IGNORED)
    try:
        hint = intent_report(event["data"]["object"])
    except (KeyError, TypeError, ValueError):
        logger.error("webhook %s: not a payment intent", stored.event_id)
        return provider_event_close(stored, ProviderEventResult.IGNORED)
    payment = payment_for_intent(hint)
    if payment is None:
        return provider_event_close(stored, ProviderEventResult.UNKNOWN_INTENT)
    if event["type"] == "payment_intent.payment_failed":  # the card's decline (defence)
        intent_declined(payment=payment, intent=event["data"]["object"])
    if _authorized_after_failing(payment, hint):
        authorization_release(payment)
        return provider_event_close(stored, ProviderEventResult.NO_CHANGE, payment)
    if not moves(payment.status, hint.status):
        return provider_event_close(stored, ProviderEventResult.NO_CHANGE, payment)
    report = _current(hint)
    with transaction.atomic(durable=True):
        moved = payment_advance(payment=payment, report=report)
        result = ProviderEventResult.PROCESSED if moved else ProviderEventResult.NO_CHANGE
        return provider_event_result_set(stored, result, payment)


def _money_back(stored: StoredEvent, event_type: str, found: dict[str, Any]) -> str:
    """A refund or dispute event: apply the provider's refunds or dispute of its intent now."""
    intent_id = event_intent_id(found)
    payment = payment_by_intent(intent_id) if intent_id else None
    if payment is None:
        return provider_event_close(stored, ProviderEventResult.UNKNOWN_INTENT)
    if found.get("object") == "charge" and found.get("captured") is False:
        # An authorization released: the provider reports it refunded, nothing was captured.
        return provider_event_close(stored, ProviderEventResult.IGNORED, payment)
    with contextlib.suppress(ProviderUnavailable, ProviderRefused):  # then the event's object
        payment = payment_bring_forward(payment)
    try:
        if event_type in DISPUTE_EVENTS:
            changed = _dispute(payment, found)
        else:
            changed = refunds_observe(payment, _refunds(found)) > 0
    except (KeyError, TypeError, ValueError):
        logger.error("webhook %s: not a %s object", stored.event_id, event_type)
        return provider_event_close(stored, ProviderEventResult.IGNORED, payment)
    except PaymentNotCaptured:
        raise Problem(503, "The payment's capture is still on its way; deliver again.") from None
    result = ProviderEventResult.PROCESSED if changed else ProviderEventResult.NO_CHANGE
    return provider_event_close(stored, result, payment)


def _card_saved(stored: StoredEvent, found: dict[str, Any]) -> str:
    """A SetupIntent succeeded: if it saved a plan's new card, the plan's card is recorded, as
    the provider has the SetupIntent now."""
    setup_intent_id = found.get("id")
    if not (isinstance(setup_intent_id, str) and setup_intent_id and found.get("customer")):
        return provider_event_close(stored, ProviderEventResult.IGNORED)
    try:
        changed = setup_intent_record(setup_intent_id=setup_intent_id)
    except ProviderUnavailable:
        raise Problem(503, UNAVAILABLE) from None
    except ProviderRefused:
        return provider_event_close(stored, ProviderEventResult.IGNORED)
    result = ProviderEventResult.PROCESSED if changed else ProviderEventResult.NO_CHANGE
    return provider_event_close(stored, result)


def _refunds(found: dict[str, Any]) -> list[Any]:
    intent_id = event_intent_id(found)
    try:
        return refunds_of_intent(str(intent_id))
    except (ProviderUnavailable, ProviderRefused):
        if found.get("object") != "refund":
            raise Problem(503, UNAVAILABLE) from None
        return [replace(refund_report(found), current=False)]


def _dispute(payment: Payment, found: dict[str, Any]) -> bool:
    try:
        report = dispute_retrieve(str(found["id"]))
    except (ProviderUnavailable, ProviderRefused):
        report = dispute_report(found)
    with transaction.atomic(durable=True):
        return dispute_observe(payment_id=payment.pk, report=report)


def payment_for_intent(report: IntentReport) -> Payment | None:
    """The payment of the intent: by its id, or by the intent's ``metadata.payment_id`` when the
    event beat transaction 2 (the payment does not know its intent yet)."""
    # A report read from an intent always names it (intent_report).
    payment = payment_by_intent(report.intent_id) if report.intent_id else None
    payment_id = report.payment_id or ""
    if payment is not None or not (payment_id.isascii() and payment_id.isdigit()):
        return payment
    if len(payment_id) > MAX_ID_DIGITS:
        return None
    return Payment.objects.filter(pk=int(payment_id), provider_payment_id__isnull=True).first()


def _authorized_after_failing(payment: Payment, hint: IntentReport) -> bool:
    """An authorization of a payment that has FAILED (SPEC §3: terminal): a page that confirmed
    its declined intent again with another card. It is never captured."""
    return (
        payment.status == PaymentStatus.FAILED
        and hint.status == PaymentStatus.AUTHORIZED
        and hint.intent_id is not None
        and hint.intent_id == payment.provider_payment_id
    )


def authorization_release(payment: Payment) -> None:
    """Cancel the intent, so that the donor's bank releases the hold now rather than in days.

    The provider being unreachable is a 503: the event stays ``received`` and its redelivery
    tries again.
    """
    try:
        report = intent_cancel_abandoned(payment)
    except ProviderRefused:
        return  # logged; the authorization lapses at the provider
    except ProviderUnavailable:
        raise Problem(503, "The provider cannot be reached; deliver the event again.") from None
    logger.warning(
        "payment %s: FAILED, yet its intent was authorized again; released (%s)",
        payment.pk,
        report.provider_status,
    )


def _current(hint: IntentReport) -> IntentReport:
    """The intent as the provider has it now; the event's snapshot if it cannot be asked."""
    if hint.intent_id is None:
        return hint
    try:
        return intent_retrieve(hint.intent_id)
    except ProviderUnavailable:
        return hint
