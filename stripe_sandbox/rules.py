"""Rules of the PaymentIntent API that read parameters, not state."""

from __future__ import annotations

from typing import Any

from .errors import invalid_request, missing_param
from .forms import Params
from .objects import ECHOED_INTENT_FIELDS, PaymentIntent

REDIRECTS_NEED_RETURN_URL = (
    "This PaymentIntent is configured to accept payment methods enabled in your Dashboard, "
    "some of which may require a full page redirect to succeed. If you do not want to accept "
    "redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and "
    "`automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and "
    "Payment Intents."
)
MISSING_PAYMENT_METHOD = (
    "You cannot confirm this PaymentIntent because it's missing a payment method. You can "
    "either update the PaymentIntent with a payment method and then confirm it again, or "
    "confirm it again directly with a payment method."
)
AUTHENTICATION_FAILED = (
    "The provided PaymentMethod has failed authentication. You can provide payment_method_data "
    "or a new PaymentMethod to attempt to fulfill this PaymentIntent again."
)
REUSED_PAYMENT_METHOD = (
    "The provided PaymentMethod was previously used with a PaymentIntent without Customer "
    "attachment, shared with a connected account without Customer attachment, or was detached "
    "from a Customer. It may not be used again. To use a PaymentMethod multiple times, you must "
    "attach it to a Customer first."
)

NOT_THE_CUSTOMERS = (
    "The customer does not have a payment method with the ID {method}. The payment method must "
    "be attached to the customer."
)
ATTACHED_NEEDS_CUSTOMER = (
    "The provided PaymentMethod is attached to a Customer. To use it, pass that Customer as the "
    "`customer` parameter."
)


def payment_method_setup(p: Params) -> tuple[dict[str, Any] | None, list[str]]:
    """Return (automatic_payment_methods, payment_method_types) as Stripe sets them."""
    types = p.string_list("payment_method_types")
    settings = p.hash("automatic_payment_methods")
    if settings is None:
        if types:
            return None, types
        # Since API version 2023-08-16 automatic payment methods are on unless turned off.
        return {"allow_redirects": "always", "enabled": True}, ["card"]
    for key in settings:
        if key not in ("enabled", "allow_redirects"):
            name = f"automatic_payment_methods[{key}]"
            raise invalid_request(
                f"Received unknown parameter: {name}", param=name, code="parameter_unknown"
            )
    nested = Params(
        {f"automatic_payment_methods[{k}]": v for k, v in settings.items()},
        frozenset(
            {"automatic_payment_methods[enabled]", "automatic_payment_methods[allow_redirects]"}
        ),
    )
    enabled = nested.boolean("automatic_payment_methods[enabled]")
    if enabled is None:
        raise missing_param("automatic_payment_methods[enabled]")
    redirects = nested.string(
        "automatic_payment_methods[allow_redirects]", choices=("always", "never")
    )
    if enabled and types:
        raise invalid_request(
            "You may only specify one of these parameters: automatic_payment_methods, "
            "payment_method_types.",
            param="automatic_payment_methods",
        )
    if not enabled:
        return None, types or ["card"]
    return {"allow_redirects": redirects or "always", "enabled": True}, ["card"]


def check_redirects(intent: PaymentIntent, return_url: str | None) -> None:
    redirects_check(
        intent.automatic_payment_methods,
        intent.echoed.get("allowed_payment_method_types"),
        return_url,
    )


def redirects_check(
    automatic: dict[str, Any] | None, allowed_types: Any, return_url: str | None
) -> None:
    """Refuse a confirmation that could need a redirect and has no `return_url` (PaymentIntents
    and SetupIntents alike)."""
    if return_url or automatic is None or automatic.get("allow_redirects") == "never":
        return
    if isinstance(allowed_types, list) and set(allowed_types) <= {"card"}:
        return
    raise invalid_request(REDIRECTS_NEED_RETURN_URL)


def echoed(p: Params) -> dict[str, Any]:
    echoed = {name: p.data[name] for name in ECHOED_INTENT_FIELDS if p.has(name)}
    if "application_fee_amount" in echoed:
        echoed["application_fee_amount"] = p.integer("application_fee_amount")
    return echoed


def metadata_merge(target: dict[str, str], changes: dict[str, str]) -> None:
    for key, value in changes.items():
        if value:
            target[key] = value
        else:
            target.pop(key, None)
