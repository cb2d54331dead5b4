"""Customers and the payment methods saved to them (attach, detach, list); on the Payments store
and under its lock.

A PaymentMethod attached to a Customer can be charged again and again, off-session too (a
recurring gift); one used without a Customer cannot be used again, and neither can a detached one,
as on Stripe. A card that the bank refuses outright cannot be attached (`card_error`), except
`pm_card_chargeCustomerFail` (4000 0000 0000 0341), which attaches and then declines every charge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import params as allowed
from . import rules
from .catalog import TEST_CARDS
from .errors import ApiError, invalid_request, resource_missing
from .forms import Params
from .lists import list_body, list_page, list_query
from .objects import PaymentMethod, new_id, payment_error
from .payments import Payments, RequestRef

# Create/update parameters stored and echoed as sent (not acted on).
_ECHOED_TEXT = ("business_name", "individual_name", "invoice_prefix", "tax_exempt")
_ECHOED_HASHES = ("address", "shipping")


@dataclass(slots=True, eq=False)
class Customer:
    id: str
    created: int
    name: str | None = None
    email: str | None = None
    description: str | None = None
    phone: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    default_payment_method: str | None = None
    echoed: dict[str, Any] = field(default_factory=dict)
    deleted: bool = False

    def render(self) -> dict[str, Any]:
        if self.deleted:
            return {"id": self.id, "object": "customer", "deleted": True}
        body: dict[str, Any] = {
            "id": self.id,
            "object": "customer",
            "address": None,
            "balance": 0,
            "business_name": None,
            "created": self.created,
            "currency": None,
            "customer_account": None,
            "default_source": None,
            "delinquent": False,
            "description": self.description,
            "discount": None,
            "email": self.email,
            "individual_name": None,
            "invoice_prefix": self.id[4:12].upper(),
            "invoice_settings": {
                "custom_fields": None,
                "default_payment_method": self.default_payment_method,
                "footer": None,
                "rendering_options": None,
            },
            "livemode": False,
            "metadata": dict(self.metadata),
            "name": self.name,
            "next_invoice_sequence": 1,
            "phone": self.phone,
            "preferred_locales": [],
            "shipping": None,
            "tax_exempt": "none",
            "test_clock": None,
        }
        body.update(self.echoed)
        return body


def customer_create(
    payments: Payments, data: dict[str, Any], request: RequestRef
) -> dict[str, Any]:
    """POST /v1/customers; `payment_method` attaches that card at once."""
    p = Params(data, allowed.CUSTOMER_CREATE)
    method_ref = p.string("payment_method")
    customer = Customer(new_id("cus_", 14), payments.clock.now())
    _apply(p, customer, merge_metadata=False)
    default = _default_method(p)
    with payments.lock:
        method = _attachable(payments, method_ref, None) if method_ref else None
        if default is not None and (method is None or default != method_ref):
            raise invalid_request(
                rules.NOT_THE_CUSTOMERS.format(method=default),
                param="invoice_settings[default_payment_method]",
            )
        if method is not None:
            _card_check(method)  # a refused card: no customer either
        payments.customers[customer.id] = customer
        payments.publish("customer.created", customer.render(), request)
        if method is not None:
            payments.method_attach(method, customer.id, request)
            if default is not None:
                customer.default_payment_method = method.id
                payments.publish("customer.updated", customer.render(), request)
        return customer.render()


def customer_get(payments: Payments, customer_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """GET /v1/customers/{id}: a deleted customer answers `{id, object, deleted: true}`."""
    Params(data, frozenset({"expand"})).expand(frozenset())
    with payments.lock:
        return _customer(payments, customer_id, deleted_ok=True).render()


def customer_update(
    payments: Payments, customer_id: str, data: dict[str, Any], request: RequestRef
) -> dict[str, Any]:
    """POST /v1/customers/{id}: the given fields; metadata merged (an empty value unsets)."""
    p = Params(data, allowed.CUSTOMER_UPDATE)
    default = _default_method(p)
    with payments.lock:
        customer = _customer(payments, customer_id)
        if default is not None:
            method = payments.methods.get(default)
            if method is None or method.customer != customer.id:
                raise invalid_request(
                    rules.NOT_THE_CUSTOMERS.format(method=default),
                    param="invoice_settings[default_payment_method]",
                )
        _apply(p, customer, merge_metadata=True)
        if default is not None:
            customer.default_payment_method = default
        payments.publish("customer.updated", customer.render(), request)
        return customer.render()


def customer_delete(
    payments: Payments, customer_id: str, data: dict[str, Any], request: RequestRef
) -> dict[str, Any]:
    """DELETE /v1/customers/{id}: its payment methods are detached (and cannot be used again)."""
    Params(data, frozenset())
    with payments.lock:
        customer = _customer(payments, customer_id)
        for method in payments.methods.values():
            if method.customer == customer.id:
                method.customer = None
                method.used = True
        last = customer.render()
        customer.deleted = True
        payments.publish("customer.deleted", last, request)
        return customer.render()


def customer_list(payments: Payments, data: dict[str, Any]) -> dict[str, Any]:
    """GET /v1/customers: newest first, by `email` and `created`."""
    p = Params(data, allowed.CUSTOMER_LIST)
    query = list_query(p)
    email = p.string("email")
    with payments.lock:
        page, has_more = list_page(
            query,
            payments.customers.values(),
            lambda c: not c.deleted and email in (None, c.email),
            kind="customer",
        )
        return list_body("/v1/customers", [c.render() for c in page], has_more)


def method_attach(
    payments: Payments, method_ref: str, data: dict[str, Any], request: RequestRef
) -> dict[str, Any]:
    """POST /v1/payment_methods/{id}/attach {customer}; a `pm_card_*` id makes a new one."""
    p = Params(data, allowed.METHOD_ATTACH)
    customer_id = p.required_string("customer")
    p.expand(frozenset())
    with payments.lock:
        customer = payments.customer_get(customer_id, param="customer")
        method = _attachable(payments, method_ref, customer.id, status=404)
        _card_check(method)
        payments.method_attach(method, customer.id, request)
        return method.render()


def method_detach(
    payments: Payments, method_id: str, data: dict[str, Any], request: RequestRef
) -> dict[str, Any]:
    """POST /v1/payment_methods/{id}/detach: it can never be used again, as on Stripe."""
    Params(data, allowed.METHOD_DETACH).expand(frozenset())
    with payments.lock:
        method = _method(payments, method_id)
        if method.customer is None:
            raise invalid_request(
                "The payment method you provided is not attached to a customer so detachment "
                "is impossible.",
                param="payment_method",
            )
        customer = payments.customers[method.customer]
        if customer.default_payment_method == method.id:
            customer.default_payment_method = None
        method.customer = None
        method.used = True
        payments.publish("payment_method.detached", method.render(), request)
        return method.render()


def method_update(
    payments: Payments, method_id: str, data: dict[str, Any], request: RequestRef
) -> dict[str, Any]:
    """POST /v1/payment_methods/{id}: its metadata (merged; other fields are accepted only)."""
    p = Params(data, allowed.METHOD_UPDATE)
    metadata = p.metadata()
    p.expand(frozenset())
    with payments.lock:
        method = _method(payments, method_id)
        rules.metadata_merge(method.metadata, metadata)
        payments.publish("payment_method.updated", method.render(), request)
        return method.render()


def method_list(
    payments: Payments, customer_id: str | None, data: dict[str, Any]
) -> dict[str, Any]:
    """GET /v1/payment_methods?customer= or /v1/customers/{id}/payment_methods: newest first."""
    names = allowed.METHOD_LIST if customer_id is None else allowed.CUSTOMER_METHOD_LIST
    p = Params(data, names)
    query = list_query(p)
    kind = p.string("type")
    p.string("allow_redisplay", choices=("always", "limited", "unspecified"))
    url = "/v1/payment_methods"
    with payments.lock:
        if customer_id is not None:
            _customer(payments, customer_id, status=404)
            url = f"/v1/customers/{customer_id}/payment_methods"
        else:
            customer_id = p.string("customer")
            if customer_id is not None:
                payments.customer_get(customer_id, param="customer")
        page, has_more = list_page(
            query,
            payments.methods.values(),
            lambda m: kind in (None, "card") and customer_id in (None, m.customer),
            kind="payment_method",
        )
        return list_body(url, [m.render() for m in page], has_more)


# --- Inside the lock ---------------------------------------------------------------------------


def _customer(
    payments: Payments, customer_id: str, *, deleted_ok: bool = False, status: int = 404
) -> Customer:
    customer = payments.customers.get(customer_id)
    if customer is None or (customer.deleted and not deleted_ok):
        raise resource_missing("customer", customer_id, param="id", status=status)
    return customer


def _method(payments: Payments, method_id: str) -> PaymentMethod:
    method = payments.methods.get(method_id)
    if method is None:
        raise resource_missing("payment_method", method_id, param="payment_method")
    return method


def _attachable(
    payments: Payments, ref: str, customer_id: str | None, *, status: int = 400
) -> PaymentMethod:
    """The PaymentMethod `ref` names, free to attach to `customer_id` (its own already is)."""
    card = TEST_CARDS.get(ref)
    if card is not None:
        return payments.method_new(card)
    method = payments.methods.get(ref)
    if method is None:
        raise resource_missing("payment_method", ref, param="payment_method", status=status)
    if method.customer is not None and method.customer != customer_id:
        raise invalid_request(
            "The payment method you provided has already been attached to a customer.",
            param="payment_method",
        )
    if method.customer is None and method.used:
        raise invalid_request(rules.REUSED_PAYMENT_METHOD, param="payment_method")
    return method


def _card_check(method: PaymentMethod) -> None:
    """Check the card as its bank would before it is saved: a refusal is a 402 `card_error`."""
    decline = method.card.attach_decline
    if decline is not None:
        method.used = True
        error = payment_error(decline, charge="", payment_method=method)
        del error["charge"]
        raise ApiError(402, error, executed=True)


def _apply(p: Params, customer: Customer, *, merge_metadata: bool) -> None:
    """Copy the create/update fields of `p` onto `customer`."""
    for name in ("name", "email", "description", "phone"):
        if p.has(name):
            setattr(customer, name, p.string(name))
    metadata = p.metadata()
    if merge_metadata:
        rules.metadata_merge(customer.metadata, metadata)
    else:
        customer.metadata = {k: v for k, v in metadata.items() if v}
    for name in _ECHOED_TEXT:
        if p.has(name):
            customer.echoed[name] = p.string(name)
    for name in _ECHOED_HASHES:
        if p.has(name):
            customer.echoed[name] = p.hash(name)
    for name in ("balance", "next_invoice_sequence"):
        if p.has(name):
            customer.echoed[name] = p.integer(name, minimum=-(10**12))
    locales = p.string_list("preferred_locales")
    if locales is not None:
        customer.echoed["preferred_locales"] = locales
    p.expand(allowed.CUSTOMER_EXPANDABLE)


def _default_method(p: Params) -> str | None:
    settings = p.hash("invoice_settings") or {}
    value = settings.get("default_payment_method")
    if value is not None and not isinstance(value, str):
        raise invalid_request(
            "Invalid string: invoice_settings[default_payment_method]",
            param="invoice_settings[default_payment_method]",
        )
    return value or None
