"""The payment provider, through the official ``stripe`` SDK only (SPEC §3).

Every call that can move money carries a deterministic idempotency key derived from the payment
(``careforall-payment-<id>-create``, ``…-capture``) and exactly the same parameters each time, so
a retry after any crash or timeout gets the provider's first answer back instead of a second
intent or a second capture. No call here runs inside a database transaction.

What the provider says comes back as an ``IntentReport``: the intent's id and the payment status
its state means (or None while it is not settled), with what the caller needs to check that the
intent is the payment's. Errors that a later try may heal raise ``ProviderUnavailable``.

A payment without a payment method is confirmed by the donor's browser (SPEC §3): its intent is
created unconfirmed, and its ``client_secret`` goes to that browser only. The platform learns
the outcome from the provider (webhooks, retrieval), never from the browser.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import stripe
from stripe.params import PaymentIntentCreateParams

from careforall_common.contracts.statuses import PaymentStatus
from payments.models import Payment, PlanCharge
from payments.stripe_client import (
    ProviderBusy,
    ProviderRefused,
    ProviderUnavailable,
    provider_key,
    provider_post,
    stripe_client,
)

logger = logging.getLogger(__name__)

UNEXPECTED_STATE = "payment_intent_unexpected_state"
ABANDONED = "abandoned"  # the cancellation reason, and the payment's failure reason (SPEC §3)
# Intent states still waiting for the donor (a card, a confirmation, a 3-D Secure challenge).
UNCONFIRMED = {"requires_payment_method", "requires_confirmation", "requires_action"}


@dataclass(frozen=True)
class IntentReport:
    """What the provider reports about a payment's intent, as a payment status."""

    intent_id: str | None
    status: PaymentStatus | None  # None: not authorized, captured or failed (yet)
    amount: int
    currency: str
    payment_id: str | None  # the intent's metadata
    failure_reason: str = ""
    provider_status: str = ""  # the intent's own status ("requires_action", …)
    client_secret: str | None = None
    card_brand: str = ""
    card_last4: str = ""

    @property
    def unconfirmed(self) -> bool:
        """Whether the intent still waits for the donor (no card yet, or a challenge open)."""
        return self.status is None and self.provider_status in UNCONFIRMED

    def mismatch(self, payment: Payment) -> str:
        """Return why this report cannot be about ``payment``, or "" when it can."""
        if self.payment_id is not None and self.payment_id != str(payment.pk):
            return f"intent {self.intent_id} is payment {self.payment_id}'s"
        if (self.amount, self.currency) != (payment.amount, payment.currency):
            return f"intent {self.intent_id} is {self.amount} {self.currency}"
        if self.intent_id is None and self.status != PaymentStatus.FAILED:
            return "a report without an intent id that is not a refusal"
        if payment.provider_payment_id not in (None, self.intent_id):
            return f"intent {self.intent_id} is not {payment.provider_payment_id}"
        return ""


def intent_report(found: stripe.StripeObject | Mapping[str, Any]) -> IntentReport:
    """Read a PaymentIntent (an SDK object, or plain JSON: a create's, a webhook's object)."""
    intent = found.to_dict() if isinstance(found, stripe.StripeObject) else found
    status = intent.get("status")
    failure = ""
    error = intent.get("last_payment_error")
    if status == "requires_capture":
        moved: PaymentStatus | None = PaymentStatus.AUTHORIZED
    elif status == "succeeded":
        moved = PaymentStatus.CAPTURED
    elif status == "canceled":
        moved = PaymentStatus.FAILED
        reason = intent.get("cancellation_reason")
        if reason == ABANDONED:
            failure = ABANDONED
        else:
            failure = f"canceled: {reason}" if reason else "canceled"
    elif status == "requires_payment_method" and error:
        # Declined. Stripe would take another payment method on this intent; the platform never
        # offers one (SPEC §3: a declined payment is terminal, the donor makes a new pledge).
        moved = PaymentStatus.FAILED
        failure = decline_reason(error)
    else:  # requires_action, processing, …: not settled; reconciliation looks again
        moved = None
    metadata = intent.get("metadata") or {}
    brand, last4 = card_of(intent)
    secret = intent.get("client_secret")
    return IntentReport(
        intent_id=str(intent["id"]),
        status=moved,
        amount=int(intent["amount"]),
        currency=str(intent["currency"]),
        payment_id=str(metadata["payment_id"]) if "payment_id" in metadata else None,
        failure_reason=failure,
        provider_status=str(status or ""),
        client_secret=secret if isinstance(secret, str) and secret else None,
        card_brand=brand,
        card_last4=last4,
    )


def card_of(intent: Mapping[str, Any]) -> tuple[str, str]:
    """The card's brand and last four digits, when the intent carries them (an expanded
    ``latest_charge``, or the payment method of a decline); ("", "") otherwise."""
    charge = intent.get("latest_charge")
    details = charge.get("payment_method_details") if isinstance(charge, Mapping) else None
    card = details.get("card") if isinstance(details, Mapping) else None
    if not isinstance(card, Mapping):
        error = intent.get("last_payment_error")
        method = error.get("payment_method") if isinstance(error, Mapping) else None
        card = method.get("card") if isinstance(method, Mapping) else None
    if not isinstance(card, Mapping):
        return "", ""
    brand, last4 = str(card.get("brand") or "")[:32], str(card.get("last4") or "")
    return (brand, last4) if len(last4) == 4 and last4.isdigit() else ("", "")


def decline_reason(error: Mapping[str, Any]) -> str:
    """``card_declined: insufficient_funds`` from a provider error (its code and decline code)."""
    code = str(error.get("code") or "declined")
    decline = error.get("decline_code")
    reason = f"{code}: {decline}" if decline and decline != code else code
    return reason[:255]


def idempotency_key(payment: Payment, action: str) -> str:
    """The provider idempotency key of ``action`` on ``payment``: the same on every try."""
    return provider_key("payment", payment.pk, action)


def intent_create_params(payment: Payment) -> PaymentIntentCreateParams:
    """The create request of ``payment``: built from the row only, so every try is identical.

    Server-confirmed: confirmed at once with the payment method, the charge expanded for the
    card's brand and last four digits. Browser-confirmed: created only; the donor's browser
    confirms it (SPEC §3).
    """
    params: PaymentIntentCreateParams = {
        "amount": payment.amount,
        "currency": payment.currency,
        "capture_method": "manual",
        # Cards without redirects: no return_url; 3-D Secure is handled in place by Stripe.js.
        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        "metadata": {
            "payment_id": str(payment.pk),
            "pledge_id": str(payment.pledge_id),
            "campaign_id": str(payment.campaign_id),
        },
    }
    if not payment.confirmed_in_browser:
        params["payment_method"] = payment.payment_method
        params["confirm"] = True
        params["expand"] = ["latest_charge"]
    if payment.plan_charge:
        _plan_params(payment, params)
    return params


def _plan_params(payment: Payment, params: PaymentIntentCreateParams) -> None:
    """A plan's payment (docs/recurring.md), on its Customer: the first saves the card for later,
    an installment is charged off-session, its retry on-session (the donor authenticates)."""
    params["customer"] = payment.provider_customer
    params["metadata"]["plan_id"] = str(payment.plan_id)
    if payment.plan_period is not None:
        params["metadata"]["period"] = str(payment.plan_period)
    if payment.plan_charge == PlanCharge.FIRST:
        params["setup_future_usage"] = "off_session"
    else:
        params["off_session"] = payment.plan_charge == PlanCharge.OFF_SESSION


def intent_create(payment: Payment) -> IntentReport:
    """Create and confirm the payment's intent (authorize, manual capture), or get it back.

    A decline and a refusal of the request itself (an amount below the provider's minimum, an
    unknown payment method) are reports of a FAILED payment: no retry can change them.
    """
    try:
        intent = provider_post(  # plain JSON: the SDK's objects would only be taken apart
            "/v1/payment_intents", intent_create_params(payment), idempotency_key(payment, "create")
        )
    except stripe.CardError as error:
        return _refusal(payment, error)
    except stripe.InvalidRequestError as error:
        logger.warning("provider refused payment %s: %s", payment.pk, error.user_message)
        return _refusal(payment, error)
    except stripe.StripeError as error:
        raise _unavailable("create", payment, error) from error
    return intent_report(intent)


def intent_capture(payment: Payment) -> IntentReport:
    """Capture the payment's authorized intent; report its state if it cannot be captured.

    Raises ``ProviderRefused`` when the provider does not know the intent (no retry helps).
    """
    intent_id = payment.provider_payment_id
    if intent_id is None:
        raise ProviderRefused(f"payment {payment.pk} has no intent to capture")
    try:
        intent = stripe_client().v1.payment_intents.capture(
            intent_id, options={"idempotency_key": idempotency_key(payment, "capture")}
        )
    except stripe.InvalidRequestError as error:
        if error.code != UNEXPECTED_STATE:
            logger.error("provider: capture of payment %s refused: %r", payment.pk, error)
            raise ProviderRefused(str(error)) from error
        # Captured already (or canceled): the intent's state now is the answer.
        found = error.error.payment_intent if error.error is not None else None
        return intent_report(found) if found is not None else intent_retrieve(intent_id)
    except stripe.StripeError as error:
        raise _unavailable("capture", payment, error) from error
    return intent_report(intent)


def intent_cancel_abandoned(payment: Payment) -> IntentReport:
    """Cancel the payment's unconfirmed intent as abandoned; report its state if it moved on.

    Raises ``ProviderRefused`` when the provider does not know the intent (no retry helps).
    """
    intent_id = payment.provider_payment_id
    if intent_id is None:
        raise ProviderRefused(f"payment {payment.pk} has no intent to cancel")
    try:
        intent = stripe_client().v1.payment_intents.cancel(
            intent_id,
            {"cancellation_reason": ABANDONED},
            {"idempotency_key": idempotency_key(payment, "cancel")},
        )
    except stripe.InvalidRequestError as error:
        if error.code != UNEXPECTED_STATE:
            logger.error("provider: cancel of payment %s refused: %r", payment.pk, error)
            raise ProviderRefused(str(error)) from error
        # Confirmed (or canceled) in the meantime: the intent's state now is the answer.
        found = error.error.payment_intent if error.error is not None else None
        return intent_report(found) if found is not None else intent_retrieve(intent_id)
    except stripe.StripeError as error:
        raise _unavailable("cancel", payment, error) from error
    return intent_report(intent)


def intent_retrieve(intent_id: str) -> IntentReport:
    """Report the intent's state now; ``ProviderRefused`` if the provider has no such intent.

    The charge is expanded, so that the report carries the card's brand and last four digits.
    """
    try:
        return intent_report(
            stripe_client().v1.payment_intents.retrieve(intent_id, {"expand": ["latest_charge"]})
        )
    except stripe.InvalidRequestError as error:
        logger.error("provider: retrieve %s refused: %r", intent_id, error)
        raise ProviderRefused(str(error)) from error
    except stripe.StripeError as error:
        logger.warning("provider: retrieve %s failed: %r", intent_id, error)
        raise ProviderUnavailable(str(error)) from error


def _refusal(payment: Payment, error: stripe.StripeError) -> IntentReport:
    found = error.error.payment_intent if error.error is not None else None
    if found is not None:
        report = intent_report(found)
        if report.status is not None:
            return report
    return IntentReport(
        intent_id=str(found.id) if found is not None else None,
        status=PaymentStatus.FAILED,
        amount=payment.amount,
        currency=payment.currency,
        payment_id=None,
        failure_reason=decline_reason(
            error.error.to_dict() if error.error is not None else {"code": error.code}
        ),
    )


def _unavailable(action: str, payment: Payment, error: stripe.StripeError) -> ProviderUnavailable:
    if isinstance(error, stripe.APIError) and error.http_status == 409:
        return ProviderBusy(f"{action} of payment {payment.pk} is in progress at the provider")
    level = logging.ERROR if isinstance(error, stripe.IdempotencyError) else logging.WARNING
    logger.log(level, "provider: %s of payment %s failed: %r", action, payment.pk, error)
    return ProviderUnavailable(str(error))
