"""Refunds of captured PaymentIntents (or charges), and their list; on the Payments store and
under its lock.

A refund is created `succeeded` (`charge.refunded`, `refund.created`), or `pending` when the
chaos config holds the intent's refunds or its card is `pm_card_pendingRefund` (`refund.created`
only). It moves later, as on Stripe: pending to succeeded (`refund.updated`, `charge.refunded`),
pending or succeeded to failed (`refund.updated`, `refund.failed`; the amount is no longer
refunded on the charge). Refunds of the refund test cards move by themselves after the chaos
`refund_settle_ms`; any refund moves through `POST /_sandbox/refunds/{id}/settle`.
"""

from __future__ import annotations

import threading
from typing import Any

from . import params as allowed
from .catalog import format_amount
from .errors import invalid_request, resource_missing
from .forms import Params
from .lists import list_body, list_expand, list_expandable, list_page, list_query
from .objects import Charge, Refund, new_id
from .payments import NO_REQUEST, Payments, RequestRef

# https://docs.stripe.com/api/refunds/object#refund_object-failure_reason
FAILURE_REASONS = (
    "lost_or_stolen_card",
    "expired_or_canceled_card",
    "charge_for_pending_refund_disputed",
    "insufficient_funds",
    "declined",
    "merchant_request",
    "unknown",
)
SETTLED = ("succeeded", "failed")


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
        chaos = payments.chaos()
        held = chaos.holds_refunds(charge.payment_intent)
        test_card = charge.payment_method.card.refund
        refund = Refund(
            id=new_id("re_3"),
            amount=amount,
            currency=charge.currency,
            created=payments.clock.now(),
            charge=charge.id,
            payment_intent=charge.payment_intent,
            payment_method=charge.payment_method.id,
            reason=reason,
            metadata=metadata,
            balance_transaction=new_id("txn_3"),
            status="pending" if held or test_card == "pending" else "succeeded",
        )
        payments.refunds[refund.id] = refund
        charge.amount_refunded += amount  # a pending refund counts too: it cannot be refunded twice
        if refund.status == "succeeded":
            payments.publish("charge.refunded", charge.render(), request)
        payments.publish("refund.created", refund.render(), request)
        if test_card is not None and not held and chaos.refund_settle_ms:
            target = "succeeded" if test_card == "pending" else "failed"
            _move_later(payments, refund, target, chaos.refund_settle_ms / 1000)
        return _render(payments, refund, expand)


def refund_settle(
    payments: Payments, refund_id: str, *, status: str, failure_reason: str | None
) -> dict[str, Any]:
    """`POST /_sandbox/refunds/{id}/settle`: the bank's answer, given by a test.

    A pending refund succeeds or fails; a succeeded one fails (Stripe can fail a refund after it
    succeeded). Anything else is a 409: a failed refund stays failed.
    """
    with payments.lock:
        refund = payments.refunds.get(refund_id)
        if refund is None:
            raise resource_missing("refund", refund_id, param="refund")
        allowed_moves = {"pending": SETTLED, "succeeded": ("failed",)}
        if refund.reversal or status not in allowed_moves.get(refund.status, ()):
            what = "an authorization release" if refund.reversal else refund.status
            raise invalid_request(
                f"Refund {refund_id} is {what}: it cannot move to {status}.",
                param="status",
                status=409,
            )
        _move(payments, refund, status, failure_reason or "unknown")
        return refund.render()


def _move(payments: Payments, refund: Refund, status: str, failure_reason: str) -> None:
    """Caller holds the lock and checked that the move is allowed."""
    charge = payments.charges[refund.charge]
    refund.status = status
    if status == "succeeded":
        payments.publish("refund.updated", refund.render(), NO_REQUEST)
        payments.publish("charge.refunded", charge.render(), NO_REQUEST)
        return
    # The card network refused it: the money is back in the balance, not with the cardholder.
    refund.failure_reason = failure_reason
    refund.failure_balance_transaction = new_id("txn_3")
    charge.amount_refunded -= refund.amount
    payments.publish("refund.updated", refund.render(), NO_REQUEST)
    payments.publish("refund.failed", refund.render(), NO_REQUEST)


def _move_later(payments: Payments, refund: Refund, status: str, delay_s: float) -> None:
    """Move a test card's refund to `status` in `delay_s`, unless a test moved it first; caller
    holds the lock."""
    expected, generation = refund.status, payments.generation

    def fire() -> None:
        with payments.lock:
            payments.timers.discard(timer)
            if payments.generation == generation and refund.status == expected:
                _move(payments, refund, status, "expired_or_canceled_card")

    timer = threading.Timer(delay_s, fire)
    timer.daemon = True
    payments.timers.add(timer)
    timer.start()


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
