"""Refunds and disputes at the provider, through the official ``stripe`` SDK only (SPEC §3).

A refund is created with a deterministic idempotency key derived from our refund
(``careforall-refund-<id>``) and its ``metadata[refund_id]``, from the refund row only, so every
try is the same request and the provider makes one refund. What the provider says comes back as
a ``RefundReport`` or a ``DisputeReport``; errors mean what ``payments.stripe_client`` says.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import stripe

from payments.stripe_client import (
    ProviderBusy,
    ProviderRefused,
    ProviderUnavailable,
    provider_key,
    stripe_client,
)

logger = logging.getLogger(__name__)

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
    # An authorization released (an uncaptured intent canceled): Stripe lists it as a refund
    # (``destination_details.card.type == "reversal"``), but no captured money went back.
    released: bool = False
    # False for a webhook's own object applied while the provider could not be asked: an old
    # snapshot, never enough to count a refund we had given up on.
    current: bool = True

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
        released=_card_destination(refund) == "reversal",
    )


def _card_destination(refund: Mapping[str, Any]) -> str:
    details = refund.get("destination_details")
    card = details.get("card") if isinstance(details, Mapping) else None
    return str(card.get("type") or "") if isinstance(card, Mapping) else ""


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
    key = provider_key("refund", refund_id)
    try:
        found = stripe_client().v1.refunds.create(params, {"idempotency_key": key})  # type: ignore[arg-type]
    except stripe.InvalidRequestError as error:
        logger.warning("provider refused refund %s: %s", refund_id, error.user_message)
        raise ProviderRefused(error.user_message or str(error)) from error
    except stripe.StripeError as error:
        if isinstance(error, stripe.APIError) and error.http_status == 409:
            raise ProviderBusy(f"refund {refund_id} is in progress at the provider") from error
        logger.warning("provider: refund %s failed: %r", refund_id, error)
        raise ProviderUnavailable(str(error)) from error
    return refund_report(found)


def refund_retrieve(provider_refund_id: str) -> RefundReport:
    """The refund as the provider has it now (a GET: never a second refund)."""
    try:
        return refund_report(stripe_client().v1.refunds.retrieve(provider_refund_id))
    except stripe.InvalidRequestError as error:
        logger.error("provider: refund %s refused: %r", provider_refund_id, error)
        raise ProviderRefused(str(error)) from error
    except stripe.StripeError as error:
        logger.warning("provider: refund %s failed: %r", provider_refund_id, error)
        raise ProviderUnavailable(str(error)) from error


def refund_find(*, intent_id: str, refund_id: int) -> RefundReport | None:
    """The intent's refund made as our refund ``refund_id`` (its ``metadata[refund_id]``), if
    the provider has one."""
    for report in refunds_of_intent(intent_id):
        if report.refund_id == str(refund_id):
            return report
    return None


def refunds_of_intent(intent_id: str) -> list[RefundReport]:
    """Every refund of the intent's charges, as the provider has them now."""
    try:
        found = stripe_client().v1.refunds.list({"payment_intent": intent_id, "limit": 100})
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
        found = stripe_client().v1.refunds.list({"created": {"gte": created_after}, "limit": 100})
        for refund in found.auto_paging_iter():
            yield refund_report(refund)
    except stripe.StripeError as error:
        logger.warning("provider: listing refunds failed: %r", error)
        raise ProviderUnavailable(str(error)) from error


def disputes_since(created_after: int) -> Iterator[DisputeReport]:
    """Every dispute opened since ``created_after`` (unix seconds), newest first."""
    try:
        found = stripe_client().v1.disputes.list({"created": {"gte": created_after}, "limit": 100})
        for dispute in found.auto_paging_iter():
            yield dispute_report(dispute)
    except stripe.StripeError as error:
        logger.warning("provider: listing disputes failed: %r", error)
        raise ProviderUnavailable(str(error)) from error


def dispute_retrieve(dispute_id: str) -> DisputeReport:
    """The dispute as the provider has it now."""
    try:
        return dispute_report(stripe_client().v1.disputes.retrieve(dispute_id))
    except stripe.InvalidRequestError as error:
        logger.error("provider: dispute %s refused: %r", dispute_id, error)
        raise ProviderRefused(str(error)) from error
    except stripe.StripeError as error:
        logger.warning("provider: dispute %s failed: %r", dispute_id, error)
        raise ProviderUnavailable(str(error)) from error
