"""The provider calls of the defence: a card's fingerprint before a capture, and the cancel of
a suspected card tester's authorization (through the official SDK, as ``payments.provider``)."""

from __future__ import annotations

import logging

import stripe

from defence.cards import intent_card_fingerprint
from defence.outcomes import FRAUDULENT, reported
from payments.models import Payment
from payments.provider import (
    UNEXPECTED_STATE,
    IntentReport,
    idempotency_key,
    intent_report,
    intent_retrieve,
)
from payments.stripe_client import ProviderRefused, ProviderUnavailable, stripe_client

logger = logging.getLogger(__name__)


def payment_card_fingerprint(payment: Payment) -> str:
    """The fingerprint of the card that authorized ``payment`` ("" when the provider has none).

    Raises ``ProviderUnavailable`` (try later) or ``ProviderRefused`` (no such intent).
    """
    intent_id = payment.provider_payment_id
    if intent_id is None:
        return ""
    try:
        intent = stripe_client().v1.payment_intents.retrieve(
            intent_id, {"expand": ["latest_charge"]}
        )
    except stripe.InvalidRequestError as error:
        raise ProviderRefused(str(error)) from error
    except stripe.StripeError as error:
        raise ProviderUnavailable(str(error)) from error
    return intent_card_fingerprint(intent.to_dict())


def intent_cancel_suspected(payment: Payment) -> IntentReport:
    """Cancel the payment's authorization as fraudulent instead of capturing it; report the
    intent (FAILED ``suspected_card_testing`` once canceled, its state if it moved on).

    The key is the payment's own (``…-cancel-fraudulent``): every try is the same request.
    """
    intent_id = payment.provider_payment_id
    if intent_id is None:
        raise ProviderRefused(f"payment {payment.pk} has no intent to cancel")
    try:
        intent = stripe_client().v1.payment_intents.cancel(
            intent_id,
            {"cancellation_reason": FRAUDULENT},
            {"idempotency_key": idempotency_key(payment, f"cancel-{FRAUDULENT}")},
        )
        report = intent_report(intent)
    except stripe.InvalidRequestError as error:
        if error.code != UNEXPECTED_STATE:
            logger.error("provider: cancel of payment %s refused: %r", payment.pk, error)
            raise ProviderRefused(str(error)) from error
        found = error.error.payment_intent if error.error is not None else None
        report = intent_report(found) if found is not None else intent_retrieve(intent_id)
    except stripe.StripeError as error:
        logger.warning("provider: cancel of payment %s failed: %r", payment.pk, error)
        raise ProviderUnavailable(str(error)) from error
    return reported(report)
