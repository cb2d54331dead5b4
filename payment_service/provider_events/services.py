"""The provider's webhook events: verified on the raw body, stored once, closed with a result.

Each event is stored before it is acted on (``provider_events.handlers``) and marked with its
result in the transaction of the effect. A redelivery of an event marked with a result changes
nothing; one of an event still ``received`` (a crash or error in between) is acted on again.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from careforall_common.problems import Problem
from payments.models import Payment
from provider_events.models import ProviderEvent, ProviderEventResult


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


def event_intent_id(found: dict[str, Any]) -> str | None:
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
    intent_id = event_intent_id(event["data"]["object"])
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
        return provider_event_result_set(stored, result, payment)


def provider_event_result_set(
    stored: ProviderEvent, result: ProviderEventResult, payment: Payment | None
) -> str:
    """Record the event's result in the caller's transaction (the one of its effect)."""
    ProviderEvent.objects.filter(pk=stored.pk).update(
        result=result, payment=payment, processed_at=timezone.now()
    )
    return result.value


def provider_event_prune() -> int:
    """Forget raw provider events long after Stripe stops redelivering them (3 days)."""
    cutoff = timezone.now() - timedelta(days=settings.PROVIDER_EVENT_RETENTION_DAYS)
    deleted, _ = ProviderEvent.objects.filter(received_at__lt=cutoff).delete()
    return deleted
