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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import stripe
from django.conf import settings
from stripe.params import PaymentIntentCreateParams

from payments.models import Payment, PaymentStatus

logger = logging.getLogger(__name__)

UNEXPECTED_STATE = "payment_intent_unexpected_state"
ABANDONED = "abandoned"  # the cancellation reason, and the payment's failure reason (SPEC §3)
# Intent states still waiting for the donor (a card, a confirmation, a 3-D Secure challenge).
UNCONFIRMED = {"requires_payment_method", "requires_confirmation", "requires_action"}


class ProviderUnavailable(Exception):
    """The provider could not be reached or did not answer usefully; try again later."""


class ProviderBusy(ProviderUnavailable):
    """A request with the same idempotency key is still running at the provider."""


class ProviderRefused(Exception):
    """The provider refused a request that no retry can change (e.g. an unknown intent)."""


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
    """Read a PaymentIntent (an SDK object or a webhook's ``data.object``)."""
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
    return f"{settings.STRIPE_IDEMPOTENCY_PREFIX}-payment-{payment.pk}-{action}"


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
    return params


def intent_create(payment: Payment) -> IntentReport:
    """Create and confirm the payment's intent (authorize, manual capture), or get it back.

    A decline and a refusal of the request itself (an amount below the provider's minimum, an
    unknown payment method) are reports of a FAILED payment: no retry can change them.
    """
    try:
        intent = _client().v1.payment_intents.create(
            intent_create_params(payment),
            {"idempotency_key": idempotency_key(payment, "create")},
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
        intent = _client().v1.payment_intents.capture(
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
        intent = _client().v1.payment_intents.cancel(
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
            _client().v1.payment_intents.retrieve(intent_id, {"expand": ["latest_charge"]})
        )
    except stripe.InvalidRequestError as error:
        logger.error("provider: retrieve %s refused: %r", intent_id, error)
        raise ProviderRefused(str(error)) from error
    except stripe.StripeError as error:
        logger.warning("provider: retrieve %s failed: %r", intent_id, error)
        raise ProviderUnavailable(str(error)) from error


# --- Refunds and disputes -------------------------------------------------------------------

# The reasons the provider takes on a refund; any other reason staff give stays in metadata.
PROVIDER_REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
MAX_METADATA_VALUE = 500  # characters, the provider's limit


@dataclass(frozen=True)
class RefundReport:
    """A refund as the provider has it: ``status`` is its own (pending, succeeded, failed, …)."""

    provider_refund_id: str
    intent_id: str | None
    amount: int
    currency: str
    status: str
    refund_id: str | None  # metadata[refund_id]: one of ours, made by ``refund_create``
    reason: str = ""
    failure_reason: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "canceled")


@dataclass(frozen=True)
class DisputeReport:
    """A dispute (chargeback) as the provider has it."""

    provider_dispute_id: str
    intent_id: str | None
    amount: int
    currency: str
    status: str  # needs_response, under_review, won, lost, …
    reason: str
    created: int  # unix seconds


def refund_report(found: stripe.StripeObject | Mapping[str, Any]) -> RefundReport:
    """Read a Refund (an SDK object or a webhook's ``data.object``)."""
    refund = found.to_dict() if isinstance(found, stripe.StripeObject) else found
    metadata = refund.get("metadata") or {}
    intent = refund.get("payment_intent")
    if isinstance(intent, Mapping):
        intent = intent.get("id")
    return RefundReport(
        provider_refund_id=str(refund["id"]),
        intent_id=str(intent) if intent else None,
        amount=int(refund["amount"]),
        currency=str(refund["currency"]),
        status=str(refund.get("status") or ""),
        refund_id=str(metadata["refund_id"]) if metadata.get("refund_id") else None,
        reason=str(refund.get("reason") or ""),
        failure_reason=str(refund.get("failure_reason") or "")[:255],
    )


def dispute_report(found: stripe.StripeObject | Mapping[str, Any]) -> DisputeReport:
    """Read a Dispute (an SDK object or a webhook's ``data.object``)."""
    dispute = found.to_dict() if isinstance(found, stripe.StripeObject) else found
    intent = dispute.get("payment_intent")
    if isinstance(intent, Mapping):
        intent = intent.get("id")
    return DisputeReport(
        provider_dispute_id=str(dispute["id"]),
        intent_id=str(intent) if intent else None,
        amount=int(dispute["amount"]),
        currency=str(dispute["currency"]),
        status=str(dispute.get("status") or ""),
        reason=str(dispute.get("reason") or "")[:64],
        created=int(dispute.get("created") or 0),
    )


def refund_create(*, refund_id: int, intent_id: str, amount: int, reason: str) -> RefundReport:
    """Refund ``amount`` of the intent's charge as our refund ``refund_id``, or get it back.

    The key is the refund's (``…-refund-<id>``) and the request is built from the refund row
    only, so every try is identical and the provider makes one refund whatever the retries.
    Raises ``ProviderRefused`` when the provider will not refund (more than is left, a disputed
    charge, …): no retry changes that.
    """
    params: dict[str, Any] = {
        "payment_intent": intent_id,
        "amount": amount,
        "metadata": {"refund_id": str(refund_id), "reason": reason[:MAX_METADATA_VALUE]},
    }
    if reason in PROVIDER_REFUND_REASONS:
        params["reason"] = reason
    key = f"{settings.STRIPE_IDEMPOTENCY_PREFIX}-refund-{refund_id}"
    try:
        found = _client().v1.refunds.create(params, {"idempotency_key": key})  # type: ignore[arg-type]
    except stripe.InvalidRequestError as error:
        logger.warning("provider refused refund %s: %s", refund_id, error.user_message)
        raise ProviderRefused(error.user_message or str(error)) from error
    except stripe.StripeError as error:
        if isinstance(error, stripe.APIError) and error.http_status == 409:
            raise ProviderBusy(f"refund {refund_id} is in progress at the provider") from error
        logger.warning("provider: refund %s failed: %r", refund_id, error)
        raise ProviderUnavailable(str(error)) from error
    return refund_report(found)


def refunds_of_intent(intent_id: str) -> list[RefundReport]:
    """Every refund of the intent's charges, as the provider has them now."""
    try:
        found = _client().v1.refunds.list({"payment_intent": intent_id, "limit": 100})
        return [refund_report(refund) for refund in found.auto_paging_iter()]
    except stripe.InvalidRequestError as error:
        logger.error("provider: refunds of %s refused: %r", intent_id, error)
        raise ProviderRefused(str(error)) from error
    except stripe.StripeError as error:
        logger.warning("provider: refunds of %s failed: %r", intent_id, error)
        raise ProviderUnavailable(str(error)) from error


def refunds_since(created_after: int) -> Iterator[RefundReport]:
    """Every refund made at the provider since ``created_after`` (unix seconds), newest first."""
    try:
        found = _client().v1.refunds.list({"created": {"gte": created_after}, "limit": 100})
        for refund in found.auto_paging_iter():
            yield refund_report(refund)
    except stripe.StripeError as error:
        logger.warning("provider: listing refunds failed: %r", error)
        raise ProviderUnavailable(str(error)) from error


def disputes_since(created_after: int) -> Iterator[DisputeReport]:
    """Every dispute opened since ``created_after`` (unix seconds), newest first."""
    try:
        found = _client().v1.disputes.list({"created": {"gte": created_after}, "limit": 100})
        for dispute in found.auto_paging_iter():
            yield dispute_report(dispute)
    except stripe.StripeError as error:
        logger.warning("provider: listing disputes failed: %r", error)
        raise ProviderUnavailable(str(error)) from error


def dispute_retrieve(dispute_id: str) -> DisputeReport:
    """The dispute as the provider has it now."""
    try:
        return dispute_report(_client().v1.disputes.retrieve(dispute_id))
    except stripe.InvalidRequestError as error:
        logger.error("provider: dispute %s refused: %r", dispute_id, error)
        raise ProviderRefused(str(error)) from error
    except stripe.StripeError as error:
        logger.warning("provider: dispute %s failed: %r", dispute_id, error)
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


def _client() -> stripe.StripeClient:
    return _client_for(
        settings.STRIPE_SECRET_KEY,
        settings.STRIPE_API_BASE,
        settings.STRIPE_TIMEOUT,
        settings.STRIPE_MAX_NETWORK_RETRIES,
    )


@cache
def _client_for(
    secret_key: str, api_base: str, timeout: float, retries: int
) -> stripe.StripeClient:
    """One client per configuration (the SDK's requests client keeps a session per thread)."""
    return stripe.StripeClient(
        secret_key,
        # An empty base means Stripe itself; {"api": None} would not (docs/stripe-sandbox.md).
        base_addresses={"api": api_base} if api_base else {},
        max_network_retries=retries,
        http_client=stripe.RequestsClient(timeout=timeout),
    )
