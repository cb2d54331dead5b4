"""Refunds of captured PaymentIntents (or charges), and their list; on the Payments store and
under its lock."""

from __future__ import annotations

import time
from typing import Any

from . import params as allowed
from .catalog import format_amount
from .errors import invalid_request, resource_missing
from .forms import Params
from .lists import list_body, list_expand, list_expandable, list_page, list_query
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
        dispute = payments.disputes.get(charge.dispute or "")
        if dispute is not None and dispute.status != "won":
            # The chargeback already returned the money; a refund would pay the cardholder twice.
            raise invalid_request(
                f"Charge {charge.id} has been charged back.",
                code="charge_disputed",
                executed=True,
            )
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
        return _render(payments, refund, expand)


def refund_list(payments: Payments, data: dict[str, Any]) -> dict[str, Any]:
    """GET /v1/refunds: newest first, by `payment_intent`, `charge` and `created`."""
    p = Params(data, allowed.REFUND_LIST)
    query = list_query(p)
    intent_ref = p.string("payment_intent")
    charge_ref = p.string("charge")
    expand = list_expand(p.expand(list_expandable(allowed.REFUND_EXPANDABLE)))
    with payments.lock:
        if intent_ref is not None and intent_ref not in payments.intents:
            raise resource_missing("payment_intent", intent_ref, param="payment_intent", status=400)
        if charge_ref is not None and charge_ref not in payments.charges:
            raise resource_missing("charge", charge_ref, param="charge", status=400)
        page, has_more = list_page(
            query,
            payments.refunds.values(),
            lambda r: intent_ref in (None, r.payment_intent) and charge_ref in (None, r.charge),
            kind="refund",
        )
        rendered = [_render(payments, refund, expand) for refund in page]
    return list_body("/v1/refunds", rendered, has_more)


def _render(payments: Payments, refund: Refund, expand: list[str]) -> dict[str, Any]:
    body = refund.render()
    if "charge" in expand:
        body["charge"] = payments.charges[refund.charge].render()
    if "payment_intent" in expand:
        body["payment_intent"] = payments.intents[refund.payment_intent].render()
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
