"""Customers, and payment methods attached to them, through the official SDK; card fingerprints."""

from __future__ import annotations

import pytest
import requests
import stripe

from stripe_sandbox import Sandbox

from .conftest import Admin, authorize


def test_a_customer_is_created_read_updated_and_deleted(
    client: stripe.StripeClient, admin: Admin
) -> None:
    customer = client.v1.customers.create(
        {"email": "ada@example.org", "name": "Ada", "metadata": {"user_id": "12", "plan": "3"}}
    )

    updated = client.v1.customers.update(
        customer.id, {"name": "Ada L.", "metadata": {"plan": "", "tier": "gold"}}
    )
    deleted = client.v1.customers.delete(customer.id)
    read = client.v1.customers.retrieve(customer.id)

    assert customer.id.startswith("cus_")
    assert (customer.object, customer.email, customer.name, customer.livemode) == (
        "customer",
        "ada@example.org",
        "Ada",
        False,
    )
    assert customer.to_dict()["metadata"] == {"user_id": "12", "plan": "3"}
    assert customer.invoice_settings is not None
    assert customer.invoice_settings.default_payment_method is None
    assert updated.name == "Ada L."
    assert updated.to_dict()["metadata"] == {"user_id": "12", "tier": "gold"}
    assert (deleted.id, deleted.deleted) == (customer.id, True)
    assert read.to_dict() == {"id": customer.id, "object": "customer", "deleted": True}
    assert admin.event_types(customer.id) == [
        "customer.created",
        "customer.updated",
        "customer.deleted",
    ]


def test_an_unknown_customer_is_resource_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as in_path:
        client.v1.customers.retrieve("cus_Unknown0000000")
    with pytest.raises(stripe.InvalidRequestError) as in_param:
        client.v1.payment_intents.create(authorize(customer="cus_Unknown0000000"))

    assert (in_path.value.http_status, in_path.value.code) == (404, "resource_missing")
    assert (in_param.value.http_status, in_param.value.param) == (400, "customer")


def test_attaching_a_test_card_makes_a_payment_method_of_the_customer(
    client: stripe.StripeClient, admin: Admin
) -> None:
    customer = client.v1.customers.create()

    method = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})

    assert method.id.startswith("pm_")
    assert method.id != "pm_card_visa"
    assert method.customer == customer.id
    assert method.card is not None
    assert (method.card.brand, method.card.last4) == ("visa", "4242")
    assert client.v1.payment_methods.retrieve(method.id).customer == customer.id
    assert admin.event_types(method.id) == ["payment_method.attached"]


def test_a_customers_payment_methods_are_listed_newest_first(
    client: stripe.StripeClient,
) -> None:
    customer = client.v1.customers.create()
    other = client.v1.customers.create()
    first = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    second = client.v1.payment_methods.attach("pm_card_mastercard", {"customer": customer.id})
    client.v1.payment_methods.attach("pm_card_amex", {"customer": other.id})

    nested = client.v1.customers.payment_methods.list(customer.id, {"type": "card"})
    flat = client.v1.payment_methods.list({"customer": customer.id, "type": "card", "limit": 1})

    assert [m.id for m in nested.data] == [second.id, first.id]
    assert nested.url == f"/v1/customers/{customer.id}/payment_methods"
    assert ([m.id for m in flat.data], flat.has_more) == ([second.id], True)
    assert [m.id for m in flat.auto_paging_iter()] == [second.id, first.id]


def test_a_detached_payment_method_cannot_be_used_again(
    client: stripe.StripeClient, admin: Admin
) -> None:
    customer = client.v1.customers.create()
    method = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})

    detached = client.v1.payment_methods.detach(method.id)

    assert detached.customer is None
    assert client.v1.customers.payment_methods.list(customer.id).data == []
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.create(authorize(payment_method=method.id))
    assert caught.value.param == "payment_method"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_methods.detach(method.id)
    assert admin.event_types(method.id) == ["payment_method.attached", "payment_method.detached"]


def test_a_payment_method_of_one_customer_is_refused_for_another(
    client: stripe.StripeClient,
) -> None:
    owner = client.v1.customers.create()
    other = client.v1.customers.create()
    method = client.v1.payment_methods.attach("pm_card_visa", {"customer": owner.id})

    with pytest.raises(stripe.InvalidRequestError) as attach:
        client.v1.payment_methods.attach(method.id, {"customer": other.id})
    with pytest.raises(stripe.InvalidRequestError) as charge:
        client.v1.payment_intents.create(authorize(customer=other.id, payment_method=method.id))
    with pytest.raises(stripe.InvalidRequestError) as no_customer:
        client.v1.payment_intents.create(authorize(payment_method=method.id))

    assert attach.value.param == charge.value.param == no_customer.value.param == "payment_method"


def test_a_declining_card_cannot_be_attached_but_0341_can(
    client: stripe.StripeClient, sandbox: Sandbox
) -> None:
    customer = client.v1.customers.create()

    with pytest.raises(stripe.CardError) as caught:
        client.v1.payment_methods.attach("pm_card_chargeDeclined", {"customer": customer.id})
    attached = client.v1.payment_methods.attach(
        "pm_card_chargeCustomerFail", {"customer": customer.id}
    )

    assert (caught.value.http_status, caught.value.code) == (402, "card_declined")
    assert attached.customer == customer.id
    assert attached.card is not None
    assert attached.card.last4 == "0341"
    assert [m.id for m in client.v1.customers.payment_methods.list(customer.id).data] == [
        attached.id
    ]


def test_a_customer_made_with_a_payment_method_has_it_as_default(
    client: stripe.StripeClient,
) -> None:
    customer = client.v1.customers.create(
        {
            "payment_method": "pm_card_visa",
            "invoice_settings": {"default_payment_method": "pm_card_visa"},
        }
    )

    [method] = client.v1.customers.payment_methods.list(customer.id).data
    read = client.v1.customers.retrieve(customer.id)
    assert read.invoice_settings is not None
    assert read.invoice_settings.default_payment_method == method.id


def test_customers_are_listed_by_email(client: stripe.StripeClient) -> None:
    ada = client.v1.customers.create({"email": "ada@example.org"})
    client.v1.customers.create({"email": "bob@example.org"})

    found = client.v1.customers.list({"email": "ada@example.org"})

    assert [c.id for c in found.data] == [ada.id]


def test_fingerprints_are_stable_per_card_number(
    client: stripe.StripeClient, sandbox: Sandbox
) -> None:
    customer = client.v1.customers.create()
    one = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    two = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    other = client.v1.payment_methods.attach("pm_card_mastercard", {"customer": customer.id})
    intent = client.v1.payment_intents.create(authorize())
    typed = client.v1.payment_intents.create(
        authorize(payment_method=None, confirm=None),
    )
    answer = requests.post(
        f"{sandbox.url}/v1/payment_intents/{typed.id}/confirm",
        data={
            "client_secret": typed.client_secret,
            "payment_method_data[type]": "card",
            "payment_method_data[card][number]": "4242424242424242",
            "payment_method_data[card][exp_month]": "12",
            "payment_method_data[card][exp_year]": "34",
            "payment_method_data[card][cvc]": "123",
        },
        headers={"Authorization": "Bearer pk_test_careforall"},
        timeout=5,
    )
    charge = client.v1.charges.retrieve(str(intent.latest_charge))
    typed_charge = client.v1.charges.retrieve(answer.json()["latest_charge"])

    assert one.id != two.id
    fingerprints = {
        m.card.fingerprint  # type: ignore[union-attr]
        for m in (one, two)
    }
    assert len(fingerprints) == 1
    [visa] = fingerprints
    assert visa is not None
    assert len(visa) == 16
    assert other.card is not None
    assert other.card.fingerprint != visa
    details = charge.payment_method_details
    assert details is not None
    assert details.card is not None
    assert details.card.fingerprint == visa
    typed_details = typed_charge.payment_method_details
    assert typed_details is not None
    assert typed_details.card is not None
    assert typed_details.card.fingerprint == visa  # the typed number is the same card
