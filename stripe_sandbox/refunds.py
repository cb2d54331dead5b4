"""Refunds of captured PaymentIntents (or charges), on the Payments store and under its lock."""

from __future__ import annotations

import time
from typing import Any

from . import params as allowed
from .catalog import format_amount
from .errors import invalid_request, resource_missing
from .forms import Params
from .objects import Charge, Refund, new_id
from .payments import Payments, RequestRef


def refund_create(payments: Payments, data: dict[str, Any], request: RequestRef) -> dict[str, Any]:
    """POST /v1/refunds: refund `amount` (default: what is left) of a captured charge."""
    p = Params(data, allowed.REFUND_CREATE)
    intent_ref = p.string("payment_intent")
    charge_ref = p.string("charge")
    amount = p.integer("amount", minimum=1)
    reason = p.string("reason", choices=allowed.REFUND_REASONS)
    metadata = {k: v for k, v in p.metadata().items() if v}
    expand = p.expand(allowed.REFUND_EXPANDABLE)
    if intent_ref is None and charge_ref is None:
        raise invalid_request(
            "One of the following params should be provided for this request: "
            "payment_intent or charge."
        )
    with payments.lock:
        charge = _refundable_charge(payments, intent_ref, charge_ref)
        remaining = charge.amount_captured - charge.amount_refunded
        if remaining <= 0:
            raise invalid_request(
                f"Charge {charge.id} has already been refunded.",
                code="charge_already_refunded",
                executed=True,
            )
        amount = amount or remaining
        if amount > remaining:
            raise invalid_request(
                f"Refund amount ({format_amount(charge.currency, amount)}) is greater than "
                f"unrefunded amount on charge ({format_amount(charge.currency, remaining)})",
                param="amount",
                executed=True,
            )
        refund = Refund(
            id=new_id("re_3"),
            amount=amount,
            currency=charge.currency,
            created=int(time.time()),
            charge=charge.id,
            payment_intent=charge.payment_intent,
            reason=reason,
            metadata=metadata,
            balance_transaction=new_id("txn_3"),
        )
        payments.refunds[refund.id] = refund
        charge.amount_refunded += amount
        payments.publish("charge.refunded", charge.render(), request)
        payments.publish("refund.created", refund.render(), request)
        body = refund.render()
        if "charge" in expand:
            body["charge"] = charge.render()
        if "payment_intent" in expand:
            body["payment_intent"] = payments.intents[charge.payment_intent].render()
        return body


def _refundable_charge(
    payments: Payments, intent_ref: str | None, charge_ref: str | None
) -> Charge:
    """The captured charge the references name; caller holds the lock."""
    charge: Charge | None = None
    if intent_ref is not None:
        intent = payments.intents.get(intent_ref)
        if intent is None:
            raise resource_missing("payment_intent", intent_ref, param="payment_intent", status=400)
        if intent.status != "succeeded":
            raise invalid_request(
                "This PaymentIntent does not have a successful charge to refund.",
                param="payment_intent",
                executed=True,
            )
        charge = payments.charges[intent.latest_charge or ""]
    if charge_ref is not None:
        found = payments.charges.get(charge_ref)
        if found is None:
            raise resource_missing("charge", charge_ref, param="charge", status=400)
        if charge is not None and found is not charge:
            raise invalid_request(
                f"Charge {charge_ref} does not belong to PaymentIntent {intent_ref}.",
                param="charge",
            )
        if not found.captured:
            raise invalid_request(
                f"Charge {charge_ref} has not been captured, so it cannot be refunded.",
                param="charge",
                executed=True,
            )
        charge = found
    if charge is None:  # unreachable: the caller checked that one reference is given
        raise invalid_request("No charge to refund.")
    return charge
