"""PaymentIntents and their charges: Stripe's state machine, in memory, behind one lock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import params as allowed
from . import rules
from .catalog import TEST_CARDS, amount_check, currency_check
from .errors import ApiError, invalid_request, resource_missing, unexpected_state
from .forms import Params
from .objects import (
    Charge,
    PaymentIntent,
    PaymentMethod,
    Refund,
    new_id,
    payment_error,
)


@dataclass(frozen=True, slots=True)
class RequestRef:
    """The API request an event came from (an event's `request` field)."""

    id: str
    idempotency_key: str | None


Publish = Callable[[str, dict[str, Any], RequestRef], None]

CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)


class Payments:
    """The objects and their transitions; every public method takes the lock itself.

    Events are published inside the lock, so their order follows the order of the changes.
    """

    def __init__(self, publish: Publish) -> None:
        self.publish = publish
        self.lock = threading.Lock()
        self.intents: dict[str, PaymentIntent] = {}
        self.charges: dict[str, Charge] = {}
        self.methods: dict[str, PaymentMethod] = {}
        self.refunds: dict[str, Refund] = {}

    def reset(self) -> None:
        with self.lock:
            self.intents.clear()
            self.charges.clear()
            self.methods.clear()
            self.refunds.clear()

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {
                "payment_intents": len(self.intents),
                "charges": len(self.charges),
                "payment_methods": len(self.methods),
                "refunds": len(self.refunds),
            }

    # --- PaymentIntents ---------------------------------------------------------------------

    def intent_create(self, data: dict[str, Any], request: RequestRef) -> dict[str, Any]:
        p = Params(data, allowed.INTENT_CREATE)
        amount = p.required_integer("amount")
        currency = currency_check(p.required_string("currency"))
        capture_method = p.string("capture_method", choices=allowed.CAPTURE_METHODS)
        confirmation_method = p.string("confirmation_method", choices=("automatic", "manual"))
        confirm = bool(p.boolean("confirm"))
        method_ref = p.string("payment_method")
        automatic, types = rules.payment_method_setup(p)
        intent = PaymentIntent(
            id=new_id("pi_3"),
            amount=amount,
            currency=currency,
            created=int(time.time()),
            capture_method=capture_method or "automatic_async",
            confirmation_method=confirmation_method or "automatic",
            metadata={k: v for k, v in p.metadata().items() if v},
            description=p.string("description"),
            automatic_payment_methods=automatic,
            payment_method_types=types,
            echoed=rules.echoed(p),
        )
        intent.client_secret = f"{intent.id}_secret_{new_id('', 25)}"
        expand = p.expand(allowed.INTENT_EXPANDABLE)
        refusal = amount_check(amount, currency)
        if refusal is not None:
            raise refusal
        if confirm:
            if method_ref is None:
                raise invalid_request(
                    rules.MISSING_PAYMENT_METHOD, code="payment_intent_unexpected_state"
                )
            rules.check_redirects(intent, p.string("return_url"))
        with self.lock:
            method = self._method_resolve(method_ref) if method_ref else None
            if method is not None:
                intent.payment_method = method.id
                intent.status = "requires_confirmation"
            self.intents[intent.id] = intent
            self.publish("payment_intent.created", intent.render(), request)
            if confirm and method is not None:
                self._confirm(intent, method, request)
            return self._intent_render(intent, expand)

    def intent_get(self, intent_id: str, data: dict[str, Any]) -> dict[str, Any]:
        p = Params(data, allowed.INTENT_RETRIEVE)
        expand = p.expand(allowed.INTENT_EXPANDABLE)
        with self.lock:
            return self._intent_render(self._intent(intent_id), expand)

    def intent_confirm(
        self, intent_id: str, data: dict[str, Any], request: RequestRef
    ) -> dict[str, Any]:
        p = Params(data, allowed.INTENT_CONFIRM)
        method_ref = p.string("payment_method")
        capture_method = p.string("capture_method", choices=allowed.CAPTURE_METHODS)
        return_url = p.string("return_url")
        expand = p.expand(allowed.INTENT_EXPANDABLE)
        echoed = rules.echoed(p)
        with self.lock:
            intent = self._intent(intent_id)
            if intent.status not in CONFIRMABLE:
                raise unexpected_state(
                    f"You cannot confirm this PaymentIntent because it has a status of "
                    f"{intent.status}. Only a PaymentIntent with one of the following statuses "
                    f"may be confirmed: {', '.join(CONFIRMABLE)}.",
                    payment_intent=intent.render(),
                )
            if method_ref is None and intent.payment_method is None:
                raise unexpected_state(rules.MISSING_PAYMENT_METHOD, payment_intent=intent.render())
            rules.check_redirects(intent, return_url)
            method = self._method_resolve(method_ref or intent.payment_method or "")
            intent.echoed.update(echoed)
            if capture_method is not None:
                intent.capture_method = capture_method
            self._confirm(intent, method, request)
            return self._intent_render(intent, expand)

    def intent_capture(
        self, intent_id: str, data: dict[str, Any], request: RequestRef
    ) -> dict[str, Any]:
        p = Params(data, allowed.INTENT_CAPTURE)
        amount_to_capture = p.integer("amount_to_capture", minimum=1)
        metadata = p.metadata()
        expand = p.expand(allowed.INTENT_EXPANDABLE)
        echoed = rules.echoed(p)
        with self.lock:
            intent = self._intent(intent_id)
            if intent.status != "requires_capture":
                raise unexpected_state(
                    f"This PaymentIntent could not be captured because it has a status of "
                    f"{intent.status}. Only a PaymentIntent with one of the following statuses "
                    "may be captured: requires_capture.",
                    payment_intent=intent.render(),
                )
            amount = amount_to_capture or intent.amount_capturable
            if amount > intent.amount_capturable:
                raise invalid_request(
                    f"The amount_to_capture ({amount}) must be less than or equal to the "
                    f"PaymentIntent's amount_capturable ({intent.amount_capturable}).",
                    param="amount_to_capture",
                    executed=True,
                )
            rules.metadata_merge(intent.metadata, metadata)
            intent.echoed.update(echoed)
            charge = self.charges[intent.latest_charge or ""]
            self._settle(intent, charge, amount)
            self.publish("charge.captured", charge.render(), request)
            self.publish("payment_intent.succeeded", intent.render(), request)
            return self._intent_render(intent, expand)

    def intent_cancel(
        self, intent_id: str, data: dict[str, Any], request: RequestRef
    ) -> dict[str, Any]:
        p = Params(data, allowed.INTENT_CANCEL)
        reason = p.string("cancellation_reason", choices=allowed.CANCELLATION_REASONS)
        expand = p.expand(allowed.INTENT_EXPANDABLE)
        with self.lock:
            intent = self._intent(intent_id)
            if intent.status not in CANCELABLE:
                raise unexpected_state(
                    f"You cannot cancel this PaymentIntent because it has a status of "
                    f"{intent.status}. Only a PaymentIntent with one of the following statuses "
                    f"may be canceled: {', '.join(CANCELABLE)}.",
                    payment_intent=intent.render(),
                )
            if intent.status == "requires_capture":
                charge = self.charges[intent.latest_charge or ""]
                charge.amount_refunded = charge.amount  # the authorization is released
            intent.status = "canceled"
            intent.canceled_at = int(time.time())
            intent.cancellation_reason = reason
            intent.amount_capturable = 0
            self.publish("payment_intent.canceled", intent.render(), request)
            return self._intent_render(intent, expand)

    # --- Refunds, and plain reads ------------------------------------------------------------

    def object_get(self, kind: str, object_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """GET /v1/charges|refunds|payment_methods/{id}."""
        Params(data, frozenset({"expand"})).expand(frozenset())
        stores: dict[str, dict[str, Charge] | dict[str, Refund] | dict[str, PaymentMethod]] = {
            "charge": self.charges,
            "refund": self.refunds,
            "PaymentMethod": self.methods,
        }
        with self.lock:
            found = stores[kind].get(object_id)
            if found is None:
                raise resource_missing(kind, object_id, param="id")
            return found.render()

    # --- Inside the lock ---------------------------------------------------------------------

    def _intent(self, intent_id: str) -> PaymentIntent:
        intent = self.intents.get(intent_id)
        if intent is None:
            raise resource_missing("payment_intent", intent_id, param="intent")
        return intent

    def _intent_render(self, intent: PaymentIntent, expand: list[str]) -> dict[str, Any]:
        body = intent.render()
        if "latest_charge" in expand and intent.latest_charge:
            body["latest_charge"] = self.charges[intent.latest_charge].render()
        if "payment_method" in expand and intent.payment_method:
            body["payment_method"] = self.methods[intent.payment_method].render()
        return body

    def _method_resolve(self, ref: str) -> PaymentMethod:
        card = TEST_CARDS.get(ref)
        if card is not None:  # each use of a test shortcut makes a new PaymentMethod, as Stripe's
            method = PaymentMethod(new_id("pm_1"), card, int(time.time()))
            self.methods[method.id] = method
            return method
        found = self.methods.get(ref)
        if found is None:
            raise resource_missing("PaymentMethod", ref, param="payment_method", status=400)
        if found.used:
            raise invalid_request(rules.REUSED_PAYMENT_METHOD, param="payment_method")
        return found

    def _confirm(self, intent: PaymentIntent, method: PaymentMethod, request: RequestRef) -> None:
        """Authorize (manual capture), charge (automatic) or decline; a decline raises the 402."""
        charge = Charge(
            id=new_id("ch_3"),
            amount=intent.amount,
            currency=intent.currency,
            created=int(time.time()),
            payment_intent=intent.id,
            payment_method=method,
            description=intent.description,
            metadata=dict(intent.metadata),
            decline=method.card.decline,
        )
        self.charges[charge.id] = charge
        intent.latest_charge = charge.id
        decline = method.card.decline
        if decline is not None:
            intent.status = "requires_payment_method"
            intent.payment_method = None
            intent.last_payment_error = payment_error(
                decline, charge=charge.id, payment_method=method
            )
            self.publish("charge.failed", charge.render(), request)
            self.publish("payment_intent.payment_failed", intent.render(), request)
            error = dict(intent.last_payment_error)
            error["payment_intent"] = intent.render()
            error["request_log_url"] = (
                f"https://dashboard.stripe.com/test/logs/{request.id}?t={charge.created}"
            )
            error["type"] = error.pop("type")  # keep Stripe's alphabetical order
            raise ApiError(402, dict(sorted(error.items())), executed=True)
        method.used = True
        intent.payment_method = method.id
        intent.last_payment_error = None
        if intent.capture_method == "manual":
            intent.status = "requires_capture"
            intent.amount_capturable = intent.amount
            self.publish("charge.succeeded", charge.render(), request)
            self.publish("payment_intent.amount_capturable_updated", intent.render(), request)
        else:
            self._settle(intent, charge, intent.amount)
            self.publish("charge.succeeded", charge.render(), request)
            self.publish("payment_intent.succeeded", intent.render(), request)

    def _settle(self, intent: PaymentIntent, charge: Charge, amount: int) -> None:
        intent.status = "succeeded"
        intent.amount_received = amount
        intent.amount_capturable = 0
        charge.captured = True
        charge.amount_captured = amount
        charge.balance_transaction = new_id("txn_3")
