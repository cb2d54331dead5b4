"""Disputes (chargebacks): opened and closed as the cardholder's bank would, read (and accepted
as lost) through `/v1`.

A dispute is opened on the captured charge of a succeeded PaymentIntent, for what is captured
and not refunded unless told less. It withdraws the amount (and the fee) at once, as Stripe
does for a chargeback; winning it reinstates the amount. While it is open, or once it is lost,
a refund of its charge is refused with `charge_disputed` (refunds.py).
"""

from __future__ import annotations

import time
from typing import Any

from . import params as allowed
from .errors import invalid_request, resource_missing
from .forms import Params
from .lists import list_body, list_expand, list_expandable, list_page, list_query
from .objects import Dispute, dispute_balance_transaction
from .payments import NO_REQUEST, Payments, RequestRef

OUTCOMES = ("won", "lost")


def dispute_open(
    payments: Payments, *, intent_id: str, amount: int | None, reason: str
) -> dict[str, Any]:
    """The bank opens a dispute on the intent's charge: `needs_response`, funds withdrawn."""
    with payments.lock:
        intent = payments.intents.get(intent_id)
        if intent is None:
            raise resource_missing("payment_intent", intent_id, param="payment_intent")
        if intent.status != "succeeded":
            raise invalid_request(
                f"PaymentIntent {intent_id} has a status of {intent.status}: only the captured "
                "charge of a succeeded PaymentIntent can be disputed.",
                param="payment_intent",
                status=409,
            )
        charge = payments.charges[intent.latest_charge or ""]
        if charge.dispute is not None:
            raise invalid_request(
                f"Charge {charge.id} already has a dispute ({charge.dispute}).",
                param="payment_intent",
                status=409,
            )
        disputable = charge.amount_captured - charge.amount_refunded
        if disputable <= 0:
            raise invalid_request(
                f"Charge {charge.id} has been fully refunded: nothing is left to dispute.",
                param="payment_intent",
                status=409,
            )
        if amount is not None and not 1 <= amount <= disputable:
            raise invalid_request(
                f"amount must be from 1 to {disputable} (captured and not refunded).",
                param="amount",
            )
        dispute = payments.dispute_create(intent, charge, amount or disputable, reason)
        return dispute.render()


def dispute_close(payments: Payments, dispute_id: str, *, outcome: str) -> dict[str, Any]:
    """The bank decides an open dispute: `won` reinstates the funds, `lost` keeps them gone."""
    with payments.lock:
        dispute = _open_dispute(payments, dispute_id, status=409)
        _close(payments, dispute, outcome, NO_REQUEST)
        return dispute.render()


def dispute_accept(
    payments: Payments, dispute_id: str, data: dict[str, Any], request: RequestRef
) -> dict[str, Any]:
    """POST /v1/disputes/{id}/close: the merchant accepts the dispute, which is then lost."""
    p = Params(data, allowed.DISPUTE_CLOSE)
    expand = p.expand(allowed.DISPUTE_EXPANDABLE)
    with payments.lock:
        dispute = _open_dispute(payments, dispute_id, status=400)
        _close(payments, dispute, "lost", request)
        return _render(payments, dispute, expand)


def dispute_get(payments: Payments, dispute_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """GET /v1/disputes/{id}."""
    p = Params(data, allowed.DISPUTE_RETRIEVE)
    expand = p.expand(allowed.DISPUTE_EXPANDABLE)
    with payments.lock:
        dispute = payments.disputes.get(dispute_id)
        if dispute is None:
            raise resource_missing("dispute", dispute_id, param="dispute")
        return _render(payments, dispute, expand)


def dispute_list(payments: Payments, data: dict[str, Any]) -> dict[str, Any]:
    """GET /v1/disputes: newest first, by `payment_intent`, `charge` and `created`."""
    p = Params(data, allowed.DISPUTE_LIST)
    query = list_query(p)
    intent_ref = p.string("payment_intent")
    charge_ref = p.string("charge")
    expand = list_expand(p.expand(list_expandable(allowed.DISPUTE_EXPANDABLE)))
    with payments.lock:
        if intent_ref is not None and intent_ref not in payments.intents:
            raise resource_missing("payment_intent", intent_ref, param="payment_intent", status=400)
        if charge_ref is not None and charge_ref not in payments.charges:
            raise resource_missing("charge", charge_ref, param="charge", status=400)
        page, has_more = list_page(
            query,
            payments.disputes.values(),
            lambda d: intent_ref in (None, d.payment_intent) and charge_ref in (None, d.charge),
            kind="dispute",
        )
        rendered = [_render(payments, dispute, expand) for dispute in page]
    return list_body("/v1/disputes", rendered, has_more)


def _open_dispute(payments: Payments, dispute_id: str, *, status: int) -> Dispute:
    """The dispute, still open; caller holds the lock."""
    dispute = payments.disputes.get(dispute_id)
    if dispute is None:
        raise resource_missing("dispute", dispute_id, param="dispute")
    if dispute.status != "needs_response":
        raise invalid_request(
            f"Dispute {dispute_id} is already closed (status {dispute.status}).",
            param="dispute",
            status=status,
            executed=True,
        )
    return dispute


def _close(payments: Payments, dispute: Dispute, outcome: str, request: RequestRef) -> None:
    """Caller holds the lock and checked that the dispute is open."""
    dispute.status = outcome
    if outcome == "won":
        dispute.balance_transactions.append(
            dispute_balance_transaction(dispute, reinstated=True, created=int(time.time()))
        )
        payments.publish("charge.dispute.funds_reinstated", dispute.render(), request)
    payments.publish("charge.dispute.closed", dispute.render(), request)


def _render(payments: Payments, dispute: Dispute, expand: list[str]) -> dict[str, Any]:
    body = dispute.render()
    if "charge" in expand:
        body["charge"] = payments.charges[dispute.charge].render()
    if "payment_intent" in expand:
        body["payment_intent"] = payments.intents[dispute.payment_intent].render()
    return body
