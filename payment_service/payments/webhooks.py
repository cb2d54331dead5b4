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
(``payments.refunds``). If the provider cannot be asked, a refund or dispute event's own signed
object is applied; a ``charge.refunded`` (which names no refund) is answered 503, so that it is
delivered again.
"""

from __future__ import annotations

import contextlib
import json
import logging
from typing import Any

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from careforall_common.problems import Problem
from payments.models import Payment, PaymentStatus, ProviderEvent, ProviderEventResult
from payments.provider import (
    IntentReport,
    ProviderRefused,
    ProviderUnavailable,
    dispute_report,
    dispute_retrieve,
    intent_cancel_abandoned,
    intent_report,
    intent_retrieve,
    refund_report,
    refunds_of_intent,
)
from payments.refunds import (
    PaymentNotCaptured,
    dispute_observe,
    payment_bring_forward,
    refunds_observe,
)
from payments.transitions import moves, payment_advance

logger = logging.getLogger(__name__)

MAX_ID_DIGITS = 18  # a BIGINT id; a longer "id" in metadata is no payment of this service
# authorized, captured, failed (SPEC §3), and an authorization released.
HANDLED = {
    "payment_intent.amount_capturable_updated",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
}
REFUND_EVENTS = {"charge.refunded", "refund.created", "refund.updated", "charge.refund.updated"}
DISPUTE_EVENTS = {"charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed"}
UNAVAILABLE = "The provider cannot be reached; deliver the event again."


def webhook_event_verify(*, payload: bytes, signature: str | None) -> dict[str, Any]:
    """Return the event of a correctly signed body; 400 for anything else (SPEC §5.6)."""
    if signature is not None and not signature.isascii():
        # The SDK's constant-time comparison raises TypeError on non-ASCII text.
        raise Problem(400, "The webhook signature is missing, wrong or stale.")
    try:
        # The SDK's check (construct_event without its parsing, which a signed non-object body
        # would crash): HMAC-SHA256 of "<t>.<raw body>", compared in constant time, t not older
        # than the tolerance.
        stripe.WebhookSignature.verify_header(
            payload,
            signature or "",
            settings.STRIPE_WEBHOOK_SECRET,
            tolerance=settings.STRIPE_WEBHOOK_TOLERANCE,
        )
    except (stripe.SignatureVerificationError, ValueError):
        raise Problem(400, "The webhook signature is missing, wrong or stale.") from None
    try:
        event = json.loads(payload)
    except ValueError:
        event = None
    if not (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and 0 < len(event["id"]) <= 255
        and isinstance(event.get("type"), str)
        and isinstance(event.get("data"), dict)
        and isinstance(event["data"].get("object"), dict)
    ):
        raise Problem(400, "The webhook body is not an event.")
    return event


def webhook_event_handle(event: dict[str, Any]) -> str:
    """Act on a verified event once; return its result (a ``ProviderEventResult`` value)."""
    stored = provider_event_store(event)
    if stored.result != ProviderEventResult.RECEIVED:
        return "duplicate"
    if event["type"] in REFUND_EVENTS | DISPUTE_EVENTS:
        return _money_back(stored, event["type"], event["data"]["object"])
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
    if _authorized_after_failing(payment, hint):
        authorization_release(payment)
        return provider_event_close(stored, ProviderEventResult.NO_CHANGE, payment)
    if not moves(payment.status, hint.status):
        return provider_event_close(stored, ProviderEventResult.NO_CHANGE, payment)
    report = _current(hint)
    with transaction.atomic(durable=True):
        moved = payment_advance(payment=payment, report=report)
        result = ProviderEventResult.PROCESSED if moved else ProviderEventResult.NO_CHANGE
        return _close(stored, result, payment)


def _money_back(stored: ProviderEvent, event_type: str, found: dict[str, Any]) -> str:
    """A refund or dispute event: apply the provider's refunds or dispute of its intent now."""
    intent_id = _intent_of(found)
    payment = Payment.objects.filter(provider_payment_id=intent_id).first() if intent_id else None
    if payment is None:
        return provider_event_close(stored, ProviderEventResult.UNKNOWN_INTENT)
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


def _refunds(found: dict[str, Any]) -> list[Any]:
    intent_id = _intent_of(found)
    try:
        return refunds_of_intent(str(intent_id))
    except (ProviderUnavailable, ProviderRefused):
        if found.get("object") != "refund":
            raise Problem(503, UNAVAILABLE) from None
        return [refund_report(found)]


def _dispute(payment: Payment, found: dict[str, Any]) -> bool:
    try:
        report = dispute_retrieve(str(found["id"]))
    except (ProviderUnavailable, ProviderRefused):
        report = dispute_report(found)
    with transaction.atomic(durable=True):
        return dispute_observe(payment_id=payment.pk, report=report)


def _intent_of(found: dict[str, Any]) -> str | None:
    """The intent an event's object is about: itself, or its ``payment_intent``."""
    if found.get("object") == "payment_intent":
        intent = found.get("id")
    else:
        intent = found.get("payment_intent")
        if isinstance(intent, dict):
            intent = intent.get("id")
    return str(intent)[:255] if isinstance(intent, str) and intent else None


def provider_event_store(event: dict[str, Any]) -> ProviderEvent:
    """Insert the event, or return the stored one with the same id."""
    intent_id = _intent_of(event["data"]["object"])
    try:
        with transaction.atomic():
            return ProviderEvent.objects.create(
                event_id=event["id"],
                event_type=str(event["type"])[:100],
                intent_id=str(intent_id)[:255] if intent_id else None,
                payload=event,
            )
    except IntegrityError:
        return ProviderEvent.objects.get(event_id=event["id"])


def provider_event_close(
    stored: ProviderEvent, result: ProviderEventResult, payment: Payment | None = None
) -> str:
    with transaction.atomic(durable=True):
        return _close(stored, result, payment)


def _close(stored: ProviderEvent, result: ProviderEventResult, payment: Payment | None) -> str:
    ProviderEvent.objects.filter(pk=stored.pk).update(
        result=result, payment=payment, processed_at=timezone.now()
    )
    return result.value


def payment_for_intent(report: IntentReport) -> Payment | None:
    """The payment of the intent: by its id, or by the intent's ``metadata.payment_id`` when the
    event beat transaction 2 (the payment does not know its intent yet)."""
    payment = Payment.objects.filter(provider_payment_id=report.intent_id).first()
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
