"""What the provider's objects say about a card and its declines (SPEC §3 "Card-testing defence").

A card is known by the provider's ``card.fingerprint`` (the same for the same number, whoever
pays with it): on an expanded charge's ``payment_method_details.card``, or on the payment method
of a decline (``last_payment_error.payment_method.card``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The provider's error codes that are a card's refusal by its bank or its checks (Stripe's
# card errors, and a failed 3-D Secure): they count as declines. Refusals of the request itself
# (an unknown payment method, an amount below the minimum) do not.
DECLINE_ERRORS = frozenset(
    {
        "card_declined",
        "expired_card",
        "incorrect_cvc",
        "incorrect_number",
        "incorrect_zip",
        "invalid_cvc",
        "invalid_expiry_month",
        "invalid_expiry_year",
        "invalid_number",
        "processing_error",
        "card_decline_rate_limit_exceeded",
        "authentication_required",
        "payment_intent_authentication_failure",
    }
)
MAX_FINGERPRINT = 64


def intent_card_fingerprint(intent: Mapping[str, Any]) -> str:
    """The fingerprint of the intent's card, or "" when the intent does not carry it."""
    charge = intent.get("latest_charge")
    details = charge.get("payment_method_details") if isinstance(charge, Mapping) else None
    card = details.get("card") if isinstance(details, Mapping) else None
    if not isinstance(card, Mapping):
        error = intent.get("last_payment_error")
        method = error.get("payment_method") if isinstance(error, Mapping) else None
        card = method.get("card") if isinstance(method, Mapping) else None
    fingerprint = card.get("fingerprint") if isinstance(card, Mapping) else None
    if isinstance(fingerprint, str) and 0 < len(fingerprint) <= MAX_FINGERPRINT:
        return fingerprint
    return ""


def intent_decline_code(intent: Mapping[str, Any]) -> str | None:
    """The decline code of the intent's last error (``stolen_card``), None if no decline."""
    error = intent.get("last_payment_error")
    if not isinstance(error, Mapping) or error.get("code") not in DECLINE_ERRORS:
        return None
    return str(error.get("decline_code") or error["code"])


def failure_decline_code(failure_reason: str) -> str | None:
    """The decline code of a FAILED payment's reason (``card_declined: stolen_card`` →
    ``stolen_card``; ``expired_card`` → ``expired_card``), None when it was no decline."""
    code, _, decline = failure_reason.partition(": ")
    if code not in DECLINE_ERRORS:
        return None
    return decline or code
