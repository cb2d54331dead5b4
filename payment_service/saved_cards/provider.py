"""The provider's Customers, saved cards and SetupIntents of recurring plans (docs/recurring.md).

Through the official SDK only, with the client of ``payments.stripe_client``; no call here runs
inside a database transaction. The Customer of a plan is made with the deterministic key
``careforall-customer-plan-<plan id>`` and the same parameters each time, so a repeat of the
first-payment call gets the same Customer back. What the platform keeps of a card is what
``SavedCard`` holds: the provider's ids, the brand, the last four digits and the fingerprint.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import stripe
from stripe.params import CustomerCreateParams, SetupIntentCreateParams

from payments.stripe_client import ProviderRefused, ProviderUnavailable, provider_key, stripe_client

logger = logging.getLogger(__name__)

# Cards without redirects, as for payments: 3-D Secure is handled in place by Stripe.js.
NO_REDIRECTS = {"enabled": True, "allow_redirects": "never"}


@dataclass(frozen=True)
class SavedCard:
    """A card saved on a plan's Customer, as the provider reports it."""

    customer: str
    payment_method: str
    brand: str
    last4: str
    fingerprint: str
    saved_at: int  # the provider's creation time of the intent or SetupIntent that saved it


class CardRefused(Exception):
    """The provider would not save the card: declined, or it asks for authentication."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def customer_create(*, plan_id: int, email: str, name: str) -> str:
    """The plan's Customer (``cus_…``): made now, or the one the same key made before."""
    params: CustomerCreateParams = {"metadata": {"plan_id": str(plan_id)}}
    if email:
        params["email"] = email
    if name:
        params["name"] = name
    try:
        customer = stripe_client().v1.customers.create(
            params, {"idempotency_key": provider_key("customer-plan", plan_id)}
        )
    except stripe.StripeError as error:
        logger.warning("provider: customer of plan %s failed: %r", plan_id, error)
        raise ProviderUnavailable(str(error)) from error
    return str(customer.id)


def setup_intent_create(
    *, plan_id: int, customer: str, payment_method: str = ""
) -> stripe.SetupIntent:
    """A SetupIntent on the plan's Customer for off-session use; confirmed now with a payment
    method (server-side), else left for the donor's browser to confirm."""
    params: SetupIntentCreateParams = {
        "customer": customer,
        "usage": "off_session",
        "automatic_payment_methods": NO_REDIRECTS,  # type: ignore[typeddict-item]
        "metadata": {"plan_id": str(plan_id)},
    }
    if payment_method:
        params["payment_method"] = payment_method
        params["confirm"] = True
    try:
        return stripe_client().v1.setup_intents.create(params)
    except stripe.CardError as error:
        raise CardRefused(_reason(error)) from error
    except stripe.InvalidRequestError as error:
        logger.warning("provider refused a card of plan %s: %s", plan_id, error.user_message)
        raise CardRefused(_reason(error)) from error
    except stripe.StripeError as error:
        logger.warning("provider: SetupIntent of plan %s failed: %r", plan_id, error)
        raise ProviderUnavailable(str(error)) from error


def setup_intent_card(setup_intent: stripe.SetupIntent | str) -> SavedCard | None:
    """The card a SetupIntent saved; None while it has not succeeded or names no Customer."""
    try:
        found = (
            stripe_client().v1.setup_intents.retrieve(setup_intent)
            if isinstance(setup_intent, str)
            else setup_intent
        )
    except stripe.InvalidRequestError as error:
        raise ProviderRefused(str(error)) from error
    except stripe.StripeError as error:
        raise ProviderUnavailable(str(error)) from error
    if found.status == "requires_action":
        raise CardRefused("authentication_required")
    if found.status != "succeeded":
        return None
    return _saved(found.customer, found.payment_method, int(found.created))


def intent_card(intent_id: str) -> SavedCard | None:
    """The card a plan's first payment saved (its intent's Customer and payment method)."""
    try:
        found = stripe_client().v1.payment_intents.retrieve(intent_id)
    except stripe.InvalidRequestError as error:
        raise ProviderRefused(str(error)) from error
    except stripe.StripeError as error:
        raise ProviderUnavailable(str(error)) from error
    return _saved(found.customer, found.payment_method, int(found.created))


def _saved(customer: Any, method: Any, saved_at: int) -> SavedCard | None:
    customer_id = _id(customer)
    method_id = _id(method)
    if not (customer_id and method_id):
        return None
    try:
        card = stripe_client().v1.payment_methods.retrieve(method_id).to_dict().get("card")
    except stripe.InvalidRequestError as error:
        raise ProviderRefused(str(error)) from error
    except stripe.StripeError as error:
        raise ProviderUnavailable(str(error)) from error
    card = card if isinstance(card, Mapping) else {}
    last4 = str(card.get("last4") or "")
    return SavedCard(
        customer=customer_id,
        payment_method=method_id,
        brand=str(card.get("brand") or "")[:32],
        last4=last4 if len(last4) == 4 and last4.isdigit() else "",
        fingerprint=str(card.get("fingerprint") or "")[:64],
        saved_at=saved_at,
    )


def _id(value: Any) -> str:
    """The id of an expandable field: the string itself, or the expanded object's id."""
    if isinstance(value, str):
        return value
    found = getattr(value, "id", None)
    return found if isinstance(found, str) else ""


def _reason(error: stripe.StripeError) -> str:
    body = error.error.to_dict() if error.error is not None else {}
    code = str(body.get("code") or error.code or "declined")
    decline = body.get("decline_code")
    return (f"{code}: {decline}" if decline and decline != code else code)[:255]
