"""SetupIntents: saving a card for later off-session payments (a donor's new card for a recurring
gift); on the Payments store and under its lock.

`requires_payment_method` → (`requires_confirmation` with a payment method) → confirm →
`succeeded` (the card is set up, and attached to the customer if there is one), or
`requires_action` for a card that asks for 3-D Secure (the donor's answer in the challenge
continues it), or back to `requires_payment_method` with `last_setup_error` when the bank
refuses the card (a 402 `card_error` carrying `setup_intent`). Events: `setup_intent.created`,
`.requires_action`, `.succeeded`, `.setup_failed`, `.canceled`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import params as allowed
from . import rules
from .errors import ApiError, doc_url, invalid_request, missing_param, resource_missing
from .forms import Params
from .lists import list_body, list_expand, list_expandable, list_page, list_query
from .objects import PaymentMethod, new_id, payment_error, words
from .payments import Payments, RequestRef, card_data

CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
AUTHENTICATION_FAILED = (
    "The latest attempt to set up the payment method has failed because authentication failed."
)
_FIELDS = words(
    "id object application attach_to_self automatic_payment_methods cancellation_reason "
    "client_secret created customer customer_account description excluded_payment_method_types "
    "flow_directions last_setup_error latest_attempt livemode mandate metadata next_action "
    "on_behalf_of payment_method payment_method_configuration_details payment_method_options "
    "payment_method_types single_use_mandate status usage"
)


@dataclass(slots=True, eq=False)
class SetupIntent:
    id: str
    created: int
    customer: str | None
    usage: str
    metadata: dict[str, str]
    description: str | None
    automatic_payment_methods: dict[str, Any] | None
    payment_method_types: list[str]
    echoed: dict[str, Any] = field(default_factory=dict)
    client_secret: str = ""
    status: str = "requires_payment_method"
    payment_method: str | None = None
    last_setup_error: dict[str, Any] | None = None
    latest_attempt: str | None = None
    cancellation_reason: str | None = None
    challenge: str | None = None  # an open 3-D Secure challenge, and its payment method
    challenged_method: PaymentMethod | None = None

    def render(self) -> dict[str, Any]:
        body: dict[str, Any] = dict.fromkeys(_FIELDS)
        body.update(self.echoed)
        body.update(
            id=self.id,
            object="setup_intent",
            attach_to_self=False,
            automatic_payment_methods=self.automatic_payment_methods,
            cancellation_reason=self.cancellation_reason,
            client_secret=self.client_secret,
            created=self.created,
            customer=self.customer,
            description=self.description,
            last_setup_error=self.last_setup_error,
            latest_attempt=self.latest_attempt,
            livemode=False,
            metadata=dict(self.metadata),
            payment_method=self.payment_method,
            payment_method_options={
                "card": {
                    "mandate_options": None,
                    "network": None,
                    "request_three_d_secure": "automatic",
                }
            },
            payment_method_types=list(self.payment_method_types),
            status=self.status,
            usage=self.usage,
        )
        if self.status == "requires_action" and self.challenge is not None:
            body["next_action"] = {
                "type": "use_stripe_sdk",
                "use_stripe_sdk": {
                    "type": "three_d_secure_redirect",
                    "stripe_js": f"/3ds/{self.challenge}",
                    "source": self.challenge,
                },
            }
        return body


def setup_create(payments: Payments, data: dict[str, Any], request: RequestRef) -> dict[str, Any]:
    """POST /v1/setup_intents; with `confirm=true` also confirm."""
    p = Params(data, allowed.SETUP_CREATE)
    customer_id = p.string("customer")
    method_ref = p.string("payment_method")
    confirm = bool(p.boolean("confirm"))
    return_url = p.string("return_url")
    automatic, types = rules.payment_method_setup(p)
    setup = SetupIntent(
        id=new_id("seti_1", 24),
        created=payments.clock.now(),
        customer=customer_id,
        usage=p.string("usage", choices=allowed.FUTURE_USAGES) or "off_session",
        metadata={k: v for k, v in p.metadata().items() if v},
        description=p.string("description"),
        automatic_payment_methods=automatic,
        payment_method_types=types,
    )
    allowed_types = p.string_list("allowed_payment_method_types")
    if allowed_types is not None:
        setup.echoed["allowed_payment_method_types"] = allowed_types
    setup.client_secret = f"{setup.id}_secret_{new_id('', 32)}"
    card = card_data(p)
    expand = p.expand(allowed.SETUP_EXPANDABLE)
    if confirm:
        if method_ref is None and card is None:
            raise missing_param("payment_method")
        rules.redirects_check(automatic, allowed_types, return_url)
    with payments.lock:
        if customer_id is not None:
            payments.customer_get(customer_id, param="customer")
        method = payments.method_new(card) if card is not None else None
        if method is None and method_ref is not None:
            method = payments.method_resolve(method_ref, customer_id)
        if method is not None:
            setup.payment_method = method.id
            setup.status = "requires_confirmation"
        payments.setup_intents[setup.id] = setup
        payments.publish("setup_intent.created", setup.render(), request)
        if confirm and method is not None:
            _confirm(payments, setup, method, request)
        return _render(payments, setup, expand)


def setup_get(
    payments: Payments, setup_id: str, data: dict[str, Any], request: RequestRef
) -> dict[str, Any]:
    """GET /v1/setup_intents/{id} (with a publishable key: only with the client secret)."""
    p = Params(data, allowed.SETUP_RETRIEVE)
    expand = p.expand(allowed.SETUP_EXPANDABLE)
    secret = p.string("client_secret")
    with payments.lock:
        setup = _setup(payments, setup_id)
        _client_secret_check(setup, secret, request)
        return _render(payments, setup, expand)


def setup_confirm(
    payments: Payments, setup_id: str, data: dict[str, Any], request: RequestRef
) -> dict[str, Any]:
    """POST /v1/setup_intents/{id}/confirm with `payment_method`, or the card the Payment
    Element sends (`payment_method_data`)."""
    p = Params(data, allowed.SETUP_CONFIRM)
    method_ref = p.string("payment_method")
    card = card_data(p)
    return_url = p.string("return_url")
    secret = p.string("client_secret")
    expand = p.expand(allowed.SETUP_EXPANDABLE)
    with payments.lock:
        setup = _setup(payments, setup_id)
        _client_secret_check(setup, secret, request)
        if setup.status not in CONFIRMABLE:
            raise _unexpected_state(setup, "confirm")
        if card is not None:
            method_ref = payments.method_new(card).id
        ref = method_ref or setup.payment_method
        if ref is None:
            raise _unexpected_state(setup, "confirm", missing_method=True)
        rules.redirects_check(
            setup.automatic_payment_methods,
            setup.echoed.get("allowed_payment_method_types"),
            return_url,
        )
        method = payments.method_resolve(ref, setup.customer)
        _confirm(payments, setup, method, request)
        return _render(payments, setup, expand)


def setup_cancel(
    payments: Payments, setup_id: str, data: dict[str, Any], request: RequestRef
) -> dict[str, Any]:
    """POST /v1/setup_intents/{id}/cancel, from any status but `succeeded` and `canceled`."""
    p = Params(data, allowed.SETUP_CANCEL)
    reason = p.string("cancellation_reason", choices=allowed.SETUP_CANCELLATION_REASONS)
    expand = p.expand(allowed.SETUP_EXPANDABLE)
    with payments.lock:
        setup = _setup(payments, setup_id)
        if setup.status not in CONFIRMABLE:
            raise _unexpected_state(setup, "cancel")
        _challenge_close(payments, setup)
        setup.status = "canceled"
        setup.cancellation_reason = reason
        payments.publish("setup_intent.canceled", setup.render(), request)
        return _render(payments, setup, expand)


def setup_list(payments: Payments, data: dict[str, Any]) -> dict[str, Any]:
    """GET /v1/setup_intents: newest first, by `customer`, `payment_method` and `created`."""
    p = Params(data, allowed.SETUP_LIST)
    query = list_query(p)
    customer_id = p.string("customer")
    method_id = p.string("payment_method")
    expand = list_expand(p.expand(list_expandable(allowed.SETUP_EXPANDABLE)))
    with payments.lock:
        if customer_id is not None:
            payments.customer_get(customer_id, param="customer")
        page, has_more = list_page(
            query,
            payments.setup_intents.values(),
            lambda s: customer_id in (None, s.customer) and method_id in (None, s.payment_method),
            kind="setup_intent",
        )
        rendered = [_render(payments, setup, expand) for setup in page]
    return list_body("/v1/setup_intents", rendered, has_more)


def setup_challenge_finish(payments: Payments, challenge: str, *, passed: bool) -> dict[str, Any]:
    """The donor completed (``passed``) or failed the 3-D Secure challenge of a SetupIntent."""
    request = RequestRef(new_id("req_", 14), None)
    with payments.lock:
        setup = payments.setup_challenges.get(challenge)
        method = setup.challenged_method if setup is not None else None
        if setup is None or method is None or setup.status != "requires_action":
            raise resource_missing("three_d_secure_challenge", challenge, param="source")
        _challenge_close(payments, setup)
        if passed:
            _succeed(payments, setup, method, request)
        else:
            setup.status = "requires_payment_method"
            setup.payment_method = None
            setup.last_setup_error = {
                "code": "setup_intent_authentication_failure",
                "doc_url": doc_url("setup_intent_authentication_failure"),
                "message": AUTHENTICATION_FAILED,
                "payment_method": method.render(),
                "type": "invalid_request_error",
            }
            payments.publish("setup_intent.setup_failed", setup.render(), request)
        return setup.render()


# --- Inside the lock ---------------------------------------------------------------------------


def _confirm(
    payments: Payments, setup: SetupIntent, method: PaymentMethod, request: RequestRef
) -> None:
    """Check the card as its bank would; ask for 3-D Secure where the card does; else succeed."""
    _challenge_close(payments, setup)
    setup.latest_attempt = new_id("setatt_1", 24)
    setup.payment_method = method.id
    method.used = True
    decline = method.card.attach_decline
    if decline is not None:
        setup.status = "requires_payment_method"
        setup.payment_method = None
        error = payment_error(decline, charge="", payment_method=method)
        del error["charge"]
        setup.last_setup_error = error
        payments.publish("setup_intent.setup_failed", setup.render(), request)
        raise ApiError(
            402, dict(sorted({**error, "setup_intent": setup.render()}.items())), executed=True
        )
    if method.card.three_d_secure:
        setup.status = "requires_action"
        setup.last_setup_error = None
        setup.challenge = new_id("src_1")
        setup.challenged_method = method
        payments.setup_challenges[setup.challenge] = setup
        payments.publish("setup_intent.requires_action", setup.render(), request)
        return
    _succeed(payments, setup, method, request)


def _succeed(
    payments: Payments, setup: SetupIntent, method: PaymentMethod, request: RequestRef
) -> None:
    setup.status = "succeeded"
    setup.payment_method = method.id
    setup.last_setup_error = None
    method.set_up = setup.usage == "off_session"
    method.used = False  # set up for later: reusable (and attachable, without a customer)
    payments.publish("setup_intent.succeeded", setup.render(), request)
    if setup.customer is not None:
        payments.method_attach(method, setup.customer, request)


def _challenge_close(payments: Payments, setup: SetupIntent) -> None:
    if setup.challenge is not None:
        payments.setup_challenges.pop(setup.challenge, None)
    setup.challenge = None
    setup.challenged_method = None


def _setup(payments: Payments, setup_id: str) -> SetupIntent:
    setup = payments.setup_intents.get(setup_id)
    if setup is None:
        raise resource_missing("setup_intent", setup_id, param="intent")
    return setup


def _render(payments: Payments, setup: SetupIntent, expand: list[str]) -> dict[str, Any]:
    body = setup.render()
    if "customer" in expand and setup.customer is not None:
        body["customer"] = payments.customers[setup.customer].render()
    if "payment_method" in expand and setup.payment_method is not None:
        body["payment_method"] = payments.methods[setup.payment_method].render()
    return body


def _client_secret_check(setup: SetupIntent, secret: str | None, request: RequestRef) -> None:
    """A publishable key reaches a SetupIntent only with its client secret (as on Stripe)."""
    if secret is None and not request.publishable:
        return
    if secret is None:
        raise missing_param("client_secret")
    if secret != setup.client_secret:
        raise invalid_request(
            "The client_secret provided does not match the client_secret associated with the "
            "SetupIntent.",
            param="client_secret",
        )


def _unexpected_state(setup: SetupIntent, action: str, *, missing_method: bool = False) -> ApiError:
    if missing_method:
        message = (
            "You cannot confirm this SetupIntent because it's missing a payment method. You can "
            "either update the SetupIntent with a payment method and then confirm it again, or "
            "confirm it again directly with a payment method."
        )
    else:
        message = (
            f"You cannot {action} this SetupIntent because it has a status of {setup.status}. "
            f"Only a SetupIntent with one of the following statuses may be {action}ed: "
            f"{', '.join(CONFIRMABLE)}."
        )
    return invalid_request(
        message,
        code="setup_intent_unexpected_state",
        executed=True,
        setup_intent=setup.render(),
    )
