"""PaymentIntents and their charges: Stripe's state machine, in memory, behind one lock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import params as allowed
from . import rules
from .catalog import (
    TEST_CARDS,
    Card,
    Decline,
    amount_check,
    card_for_number,
    currency_check,
    luhn_valid,
)
from .clock import Clock
from .errors import (
    ApiError,
    card_error,
    doc_url,
    invalid_request,
    missing_param,
    resource_missing,
    unexpected_state,
)
from .forms import Params
from .objects import (
    Charge,
    Dispute,
    PaymentIntent,
    PaymentMethod,
    Refund,
    dispute_balance_transaction,
    new_id,
    payment_error,
)
from .settings import Chaos

if TYPE_CHECKING:
    from .customers import Customer
    from .setup_intents import SetupIntent


@dataclass(frozen=True, slots=True)
class RequestRef:
    """The API request an event came from (an event's `request` field)."""

    id: str
    idempotency_key: str | None
    publishable: bool = False  # made with a publishable key (Stripe.js): the client secret rules


Publish = Callable[[str, dict[str, Any], RequestRef], None]
# What no API request caused (the bank opening a dispute): events carry `request.id` null.
NO_REQUEST = RequestRef("", None)

# What an off-session payment meets when the bank wants the cardholder to authenticate.
AUTHENTICATION_REQUIRED = Decline(
    "authentication_required",
    "authentication_required",
    "Your card was declined. This transaction requires authentication.",
)
OFF_SESSION_VALUES = {"true": True, "false": False, "one_off": True, "recurring": True}
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

    def __init__(self, publish: Publish, *, clock: Clock, chaos: Callable[[], Chaos]) -> None:
        self.publish = publish
        self.clock = clock
        self.chaos = chaos
        self.lock = threading.Lock()
        # Refunds that move later by themselves (refunds.py); a reset cancels them.
        self.timers: set[threading.Timer] = set()
        self.generation = 0
        self.intents: dict[str, PaymentIntent] = {}
        self.charges: dict[str, Charge] = {}
        self.methods: dict[str, PaymentMethod] = {}
        self.refunds: dict[str, Refund] = {}
        self.disputes: dict[str, Dispute] = {}
        self.challenges: dict[str, PaymentIntent] = {}  # open 3-D Secure challenges
        self.customers: dict[str, Customer] = {}
        self.setup_intents: dict[str, SetupIntent] = {}
        self.setup_challenges: dict[str, SetupIntent] = {}  # 3-D Secure of SetupIntents

    def reset(self) -> None:
        with self.lock:
            self.generation += 1
            for timer in self.timers:
                timer.cancel()
            self.timers.clear()
            self.challenges.clear()
            self.setup_challenges.clear()
            self.customers.clear()
            self.setup_intents.clear()
            self.intents.clear()
            self.charges.clear()
            self.methods.clear()
            self.refunds.clear()
            self.disputes.clear()

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {
                "payment_intents": len(self.intents),
                "charges": len(self.charges),
                "payment_methods": len(self.methods),
                "refunds": len(self.refunds),
                "disputes": len(self.disputes),
                "customers": len(self.customers),
                "setup_intents": len(self.setup_intents),
            }

    # --- PaymentIntents ---------------------------------------------------------------------

    def intent_create(self, data: dict[str, Any], request: RequestRef) -> dict[str, Any]:
        p = Params(data, allowed.INTENT_CREATE)
        amount = p.required_integer("amount")
        currency = currency_check(p.required_string("currency"))
        capture_method = p.string("capture_method", choices=allowed.CAPTURE_METHODS)
        confirmation_method = p.string("confirmation_method", choices=("automatic", "manual"))
        confirm = bool(p.boolean("confirm"))
        off_session = _off_session(p, confirm)
        method_ref = p.string("payment_method")
        customer_id = p.string("customer")
        automatic, types = rules.payment_method_setup(p)
        intent = PaymentIntent(
            id=new_id("pi_3"),
            amount=amount,
            currency=currency,
            created=self.clock.now(),
            capture_method=capture_method or "automatic_async",
            confirmation_method=confirmation_method or "automatic",
            metadata={k: v for k, v in p.metadata().items() if v},
            description=p.string("description"),
            automatic_payment_methods=automatic,
            payment_method_types=types,
            echoed=rules.echoed(p),
            customer=customer_id,
            setup_future_usage=p.string("setup_future_usage", choices=allowed.FUTURE_USAGES),
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
            if customer_id is not None:
                self.customer_get(customer_id, param="customer")
            method = self.method_resolve(method_ref, customer_id) if method_ref else None
            if method is not None:
                intent.payment_method = method.id
                intent.status = "requires_confirmation"
            self.intents[intent.id] = intent
            self.publish("payment_intent.created", intent.render(), request)
            if confirm and method is not None:
                self._confirm(intent, method, request, off_session=off_session)
            return self.intent_render(intent, expand)

    def intent_get(
        self, intent_id: str, data: dict[str, Any], request: RequestRef
    ) -> dict[str, Any]:
        p = Params(data, allowed.INTENT_RETRIEVE)
        expand = p.expand(allowed.INTENT_EXPANDABLE)
        secret = p.string("client_secret")
        with self.lock:
            intent = self._intent(intent_id)
            _client_secret_check(intent, secret, request)
            return self.intent_render(intent, expand)

    def intent_confirm(
        self, intent_id: str, data: dict[str, Any], request: RequestRef
    ) -> dict[str, Any]:
        p = Params(data, allowed.INTENT_CONFIRM)
        method_ref = p.string("payment_method")
        off_session = _off_session(p, True)
        future_usage = p.string("setup_future_usage", choices=allowed.FUTURE_USAGES)
        card = card_data(p)  # the Payment Element's card, straight from the browser
        capture_method = p.string("capture_method", choices=allowed.CAPTURE_METHODS)
        return_url = p.string("return_url")
        expand = p.expand(allowed.INTENT_EXPANDABLE)
        echoed = rules.echoed(p)
        secret = p.string("client_secret")
        with self.lock:
            intent = self._intent(intent_id)
            _client_secret_check(intent, secret, request)
            if card is not None:
                method_ref = self.method_new(card).id
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
            method = self.method_resolve(method_ref or intent.payment_method or "", intent.customer)
            intent.echoed.update(echoed)
            if capture_method is not None:
                intent.capture_method = capture_method
            if future_usage is not None:
                intent.setup_future_usage = future_usage
            self._confirm(intent, method, request, off_session=off_session)
            return self.intent_render(intent, expand)

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
            self._test_card_dispute(intent, charge)
            return self.intent_render(intent, expand)

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
            released = intent.status == "requires_capture"
            self._challenge_close(intent)
            intent.status = "canceled"
            intent.canceled_at = self.clock.now()
            intent.cancellation_reason = reason
            intent.amount_capturable = 0
            if released:
                self._authorization_release(intent, request)
            self.publish("payment_intent.canceled", intent.render(), request)
            return self.intent_render(intent, expand)

    def challenge_finish(self, challenge: str, *, passed: bool) -> dict[str, Any]:
        """The donor completed (``passed``) or failed the 3-D Secure challenge of an intent."""
        request = RequestRef(new_id("req_", 14), None)
        with self.lock:
            intent = self.challenges.get(challenge)
            method = intent.challenged_method if intent is not None else None
            if intent is None or method is None or intent.status != "requires_action":
                raise resource_missing("three_d_secure_challenge", challenge, param="source")
            self._challenge_close(intent)
            if passed:
                self._confirm(intent, method, request, authenticated=True)
            else:
                intent.status = "requires_payment_method"
                intent.payment_method = None
                intent.last_payment_error = {
                    "code": "payment_intent_authentication_failure",
                    "doc_url": doc_url("payment_intent_authentication_failure"),
                    "message": rules.AUTHENTICATION_FAILED,
                    "payment_method": method.render(),
                    "type": "invalid_request_error",
                }
                self.publish("payment_intent.payment_failed", intent.render(), request)
            return intent.render()

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

    def intent_render(self, intent: PaymentIntent, expand: list[str]) -> dict[str, Any]:
        body = intent.render()
        if "latest_charge" in expand and intent.latest_charge:
            body["latest_charge"] = self.charges[intent.latest_charge].render()
        if "payment_method" in expand and intent.payment_method:
            body["payment_method"] = self.methods[intent.payment_method].render()
        return body

    def customer_get(self, customer_id: str, *, param: str) -> Customer:
        """The live Customer `customer_id` (a parameter: 400 if unknown); caller holds the lock."""
        customer = self.customers.get(customer_id)
        if customer is None or customer.deleted:
            raise resource_missing("customer", customer_id, param=param, status=400)
        return customer

    def method_new(self, card: Card) -> PaymentMethod:
        """A new PaymentMethod of `card`; caller holds the lock."""
        method = PaymentMethod(new_id("pm_1"), card, self.clock.now())
        self.methods[method.id] = method
        return method

    def method_resolve(self, ref: str, customer: str | None = None) -> PaymentMethod:
        """The PaymentMethod `ref` names, usable by an intent of `customer` (as Stripe rules)."""
        card = TEST_CARDS.get(ref)
        if card is not None:  # each use of a test shortcut makes a new PaymentMethod, as Stripe's
            return self.method_new(card)
        found = self.methods.get(ref)
        if found is None:
            raise resource_missing("PaymentMethod", ref, param="payment_method", status=400)
        if found.customer is not None and found.customer != customer:
            raise invalid_request(
                rules.NOT_THE_CUSTOMERS.format(method=ref)
                if customer is not None
                else rules.ATTACHED_NEEDS_CUSTOMER,
                param="payment_method",
            )
        if found.customer is None and found.used:
            raise invalid_request(rules.REUSED_PAYMENT_METHOD, param="payment_method")
        return found

    def method_attach(self, method: PaymentMethod, customer: str, request: RequestRef) -> None:
        """Attach `method` to `customer` (`payment_method.attached`); caller holds the lock."""
        if method.customer == customer:
            return
        method.customer = customer
        self.publish("payment_method.attached", method.render(), request)

    def _challenge_close(self, intent: PaymentIntent) -> None:
        if intent.challenge is not None:
            self.challenges.pop(intent.challenge, None)
        intent.challenge = None
        intent.challenged_method = None

    def _confirm(
        self,
        intent: PaymentIntent,
        method: PaymentMethod,
        request: RequestRef,
        *,
        authenticated: bool = False,
        off_session: bool = False,
    ) -> None:
        """Authorize (manual capture), charge (automatic) or decline; a decline raises the 402.

        On-session, a card that needs 3-D Secure first leaves the intent in ``requires_action``
        with an open challenge; the donor's answer to it (``challenge_finish``) continues here.
        Off-session nobody can answer one: such a card declines ``authentication_required``
        (unless it was set up for off-session use and only asks on setup). With
        ``setup_future_usage`` a success saves the card for later (attached to the customer).
        """
        self._challenge_close(intent)
        card = method.card
        wants_authentication = card.authentication == "always" or (
            card.authentication == "setup" and not method.set_up
        )
        decline = AUTHENTICATION_REQUIRED if off_session and wants_authentication else card.decline
        if card.three_d_secure and not authenticated and not off_session:
            method.used = True
            intent.status = "requires_action"
            intent.payment_method = method.id
            intent.last_payment_error = None
            intent.challenge = new_id("src_1")
            intent.challenged_method = method
            self.challenges[intent.challenge] = intent
            self.publish("payment_intent.requires_action", intent.render(), request)
            return
        charge = Charge(
            id=new_id("ch_3"),
            amount=intent.amount,
            currency=intent.currency,
            created=self.clock.now(),
            payment_intent=intent.id,
            payment_method=method,
            description=intent.description,
            metadata=dict(intent.metadata),
            decline=decline,
            customer=intent.customer,
        )
        self.charges[charge.id] = charge
        intent.latest_charge = charge.id
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
        saving = intent.setup_future_usage is not None
        if saving:
            method.set_up = True
            method.used = False  # saved for later: without a customer, it may be attached later
        if intent.capture_method == "manual":
            intent.status = "requires_capture"
            intent.amount_capturable = intent.amount
            self.publish("charge.succeeded", charge.render(), request)
            self.publish("payment_intent.amount_capturable_updated", intent.render(), request)
        else:
            self._settle(intent, charge, intent.amount)
            self.publish("charge.succeeded", charge.render(), request)
            self.publish("payment_intent.succeeded", intent.render(), request)
            self._test_card_dispute(intent, charge)
        if saving and intent.customer is not None:
            self.method_attach(method, intent.customer, request)

    def dispute_create(
        self, intent: PaymentIntent, charge: Charge, amount: int, reason: str
    ) -> Dispute:
        """Open a dispute on a captured charge and publish it; caller holds the lock and checked
        that the charge is not disputed and that `amount` is not more than is left on it."""
        now = self.clock.now()
        dispute = Dispute(
            id=new_id("dp_1"),
            amount=amount,
            currency=charge.currency,
            created=now,
            charge=charge.id,
            payment_intent=intent.id,
            reason=reason,
            brand=charge.payment_method.card.brand,
        )
        dispute.balance_transactions.append(
            dispute_balance_transaction(dispute, reinstated=False, created=now)
        )
        self.disputes[dispute.id] = dispute
        charge.dispute = dispute.id
        self.publish("charge.dispute.created", dispute.render(), NO_REQUEST)
        self.publish("charge.dispute.funds_withdrawn", dispute.render(), NO_REQUEST)
        return dispute

    def _test_card_dispute(self, intent: PaymentIntent, charge: Charge) -> None:
        """A dispute test card (`pm_card_createDispute`): the bank disputes the captured charge."""
        reason = charge.payment_method.card.dispute
        if reason is not None:
            self.dispute_create(intent, charge, charge.amount_captured, reason)

    def _authorization_release(self, intent: PaymentIntent, request: RequestRef) -> None:
        """The uncaptured charge of a canceled intent is refunded in full, as Stripe reports it:
        a succeeded refund that moved no funds, listed with the intent's refunds, and
        `charge.refunded`."""
        charge = self.charges[intent.latest_charge or ""]
        refund = Refund(
            id=new_id("re_3"),
            amount=charge.amount - charge.amount_refunded,
            currency=charge.currency,
            created=self.clock.now(),
            charge=charge.id,
            payment_intent=intent.id,
            payment_method=charge.payment_method.id,
            reason=None,
            metadata={},
            balance_transaction=None,
            reversal=True,
        )
        self.refunds[refund.id] = refund
        charge.amount_refunded = charge.amount
        self.publish("charge.refunded", charge.render(), request)

    def _settle(self, intent: PaymentIntent, charge: Charge, amount: int) -> None:
        intent.status = "succeeded"
        intent.amount_received = amount
        intent.amount_capturable = 0
        charge.captured = True
        charge.amount_captured = amount
        charge.balance_transaction = new_id("txn_3")


def _client_secret_check(intent: PaymentIntent, secret: str | None, request: RequestRef) -> None:
    """A publishable key reaches an intent only with its client secret (as on Stripe)."""
    if secret is None and not request.publishable:
        return
    if secret is None:
        raise missing_param("client_secret")
    if secret != intent.client_secret:
        raise invalid_request(
            "The client_secret provided does not match the client_secret associated with the "
            "PaymentIntent.",
            param="client_secret",
        )


def _off_session(p: Params, confirm: bool) -> bool:
    """Read `off_session` (true, false, one_off, recurring); only with a confirmation."""
    raw = p.string("off_session")
    if raw is None:
        return False
    if raw not in OFF_SESSION_VALUES:
        raise invalid_request(
            "Invalid off_session: must be true, false, one_off or recurring", param="off_session"
        )
    if not confirm:
        raise invalid_request(
            "You can only pass off_session when confirming a PaymentIntent (confirm=true).",
            param="off_session",
        )
    return OFF_SESSION_VALUES[raw]


def card_data(p: Params) -> Card | None:
    """The card of ``payment_method_data`` (type card), checked as Stripe checks it.

    Only its brand, last four digits and expiry are kept: the number and the security code go
    no further than this function.
    """
    data = p.hash("payment_method_data")
    if data is None:
        return None
    if data.get("type") != "card":
        raise invalid_request(
            "Invalid payment_method_data[type]: must be card", param="payment_method_data[type]"
        )
    raw = data.get("card")
    if not isinstance(raw, dict):
        raise missing_param("payment_method_data[card][number]")
    number = str(raw.get("number") or "").replace(" ", "")
    if not (number.isdigit() and 12 <= len(number) <= 19) or not luhn_valid(number):
        raise card_error("invalid_number", "Your card number is invalid.", "number")
    month, year = str(raw.get("exp_month") or ""), str(raw.get("exp_year") or "")
    if not (month.isdigit() and 1 <= int(month) <= 12):
        raise card_error("invalid_expiry_month", "Your card's expiration month is invalid.")
    if not year.isdigit():
        raise card_error("invalid_expiry_year", "Your card's expiration year is invalid.")
    full_year = int(year) + 2000 if len(year) == 2 else int(year)
    now = time.gmtime()
    if (full_year, int(month)) < (now.tm_year, now.tm_mon) or full_year > now.tm_year + 50:
        raise card_error("invalid_expiry_year", "Your card's expiration year is invalid.")
    cvc = str(raw.get("cvc") or "")
    if not (cvc.isdigit() and 3 <= len(cvc) <= 4):
        raise card_error("invalid_cvc", "Your card's security code is invalid.", "cvc")
    return card_for_number(number, int(month), full_year)
