"""Disputes: the bank opens and closes them (`/_sandbox/disputes`), the SDK reads them, and a
disputed charge cannot be refunded."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import stripe

from stripe_sandbox import Sandbox

from .conftest import API_KEY, WEBHOOK_SECRET, Admin, Receiver, authorize


def _captured(client: stripe.StripeClient, amount: int = 1000) -> stripe.PaymentIntent:
    intent = client.v1.payment_intents.create(authorize(amount=amount))
    return client.v1.payment_intents.capture(intent.id)


def _opened(admin: Admin, intent_id: str, **fields: Any) -> dict[str, Any]:
    response = admin.dispute_open(intent_id, **fields)
    assert response.status_code == 200, response.text
    dispute: dict[str, Any] = response.json()
    return dispute


def test_the_bank_opens_a_dispute_on_the_captured_charge(
    client: stripe.StripeClient, admin: Admin
) -> None:
    intent = _captured(client)

    dispute = _opened(admin, intent.id)

    assert dispute["id"].startswith("dp_")
    assert dispute["object"] == "dispute"
    assert (dispute["amount"], dispute["currency"]) == (1000, "usd")
    assert (dispute["charge"], dispute["payment_intent"]) == (intent.latest_charge, intent.id)
    assert (dispute["reason"], dispute["status"]) == ("fraudulent", "needs_response")
    assert dispute["is_charge_refundable"] is False
    assert (dispute["livemode"], dispute["metadata"]) == (False, {})
    assert dispute["evidence"]["uncategorized_text"] is None
    assert dispute["evidence_details"]["due_by"] > dispute["created"]
    [withdrawal] = dispute["balance_transactions"]
    assert (withdrawal["amount"], withdrawal["fee"], withdrawal["net"]) == (-1000, 1500, -2500)
    assert withdrawal["source"] == dispute["id"]
    assert client.v1.charges.retrieve(str(intent.latest_charge)).disputed is True
    assert admin.event_types(dispute["id"]) == [
        "charge.dispute.created",
        "charge.dispute.funds_withdrawn",
    ]


def test_the_default_amount_is_what_is_captured_and_not_refunded(
    client: stripe.StripeClient, admin: Admin
) -> None:
    intent = _captured(client)
    client.v1.refunds.create({"payment_intent": intent.id, "amount": 300})

    dispute = _opened(admin, intent.id, reason="product_not_received")
    partial = _opened(admin, _captured(client).id, amount=250, reason="duplicate")

    assert (dispute["amount"], dispute["reason"]) == (700, "product_not_received")
    assert (partial["amount"], partial["reason"]) == (250, "duplicate")


def test_dispute_webhooks_are_delivered_signed(
    client: stripe.StripeClient, admin: Admin, receiver: Receiver
) -> None:
    dispute = _opened(admin, _captured(client).id)
    closed = admin.dispute_close(dispute["id"], "lost").json()

    receiver.wait_delivered(dispute["id"], 3)

    deliveries = receiver.received_for(dispute["id"])
    events = [
        stripe.Webhook.construct_event(d.body, d.signature, WEBHOOK_SECRET) for d in deliveries
    ]
    by_type = {e.type: e for e in events}
    assert set(by_type) == {
        "charge.dispute.created",
        "charge.dispute.funds_withdrawn",
        "charge.dispute.closed",
    }
    created = by_type["charge.dispute.created"]
    assert created.data.object["status"] == "needs_response"
    assert created.data.object["payment_intent"] == dispute["payment_intent"]
    assert created.request is not None
    assert created.request.id is None  # the bank, not an API request
    assert by_type["charge.dispute.closed"].data.object["status"] == "lost"
    assert closed["status"] == "lost"
    assert len(closed["balance_transactions"]) == 1


def test_a_won_dispute_reinstates_the_funds(
    client: stripe.StripeClient, admin: Admin, receiver: Receiver
) -> None:
    dispute = _opened(admin, _captured(client).id)

    response = admin.dispute_close(dispute["id"], "won")

    won = response.json()
    assert (response.status_code, won["status"], won["is_charge_refundable"]) == (200, "won", True)
    assert [t["amount"] for t in won["balance_transactions"]] == [-1000, 1000]
    assert admin.event_types(dispute["id"])[2:] == [
        "charge.dispute.funds_reinstated",
        "charge.dispute.closed",
    ]
    receiver.wait_delivered(dispute["id"], 4)


def test_closing_twice_or_an_unknown_dispute_is_refused(
    client: stripe.StripeClient, admin: Admin
) -> None:
    dispute = _opened(admin, _captured(client).id)
    admin.dispute_close(dispute["id"], "lost")

    again = admin.dispute_close(dispute["id"], "won")
    unknown = admin.dispute_close("dp_missing", "won")
    bad = admin.dispute_close(dispute["id"], "draw")

    assert again.status_code == 409
    assert again.json()["error"]["type"] == "invalid_request_error"
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "resource_missing"
    assert (bad.status_code, bad.json()["error"]["param"]) == (400, "outcome")
    assert admin.event_types(dispute["id"])[-1] == "charge.dispute.closed"
    assert len(admin.event_types(dispute["id"])) == 3


@pytest.mark.parametrize("outcome", [None, "lost"])
def test_a_disputed_charge_cannot_be_refunded(
    client: stripe.StripeClient, admin: Admin, outcome: str | None
) -> None:
    intent = _captured(client)
    dispute = _opened(admin, intent.id)
    if outcome is not None:
        admin.dispute_close(dispute["id"], outcome)

    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create({"payment_intent": intent.id})
    with pytest.raises(stripe.InvalidRequestError) as by_charge:
        client.v1.refunds.create({"charge": str(intent.latest_charge), "amount": 100})

    assert (caught.value.http_status, caught.value.code) == (400, "charge_disputed")
    assert caught.value.error is not None
    assert caught.value.error.type == "invalid_request_error"
    assert by_charge.value.code == "charge_disputed"
    assert client.v1.refunds.list({"payment_intent": intent.id}).data == []
    assert client.v1.charges.retrieve(str(intent.latest_charge)).amount_refunded == 0


def test_a_charge_can_be_refunded_after_its_dispute_is_won(
    client: stripe.StripeClient, admin: Admin
) -> None:
    intent = _captured(client)
    admin.dispute_close(_opened(admin, intent.id)["id"], "won")

    refund = client.v1.refunds.create({"payment_intent": intent.id})

    assert (refund.status, refund.amount) == ("succeeded", 1000)


def test_only_a_captured_charge_can_be_disputed(client: stripe.StripeClient, admin: Admin) -> None:
    authorized = client.v1.payment_intents.create(authorize())
    refunded = _captured(client)
    client.v1.refunds.create({"payment_intent": refunded.id})
    disputed = _captured(client)
    _opened(admin, disputed.id)

    uncaptured = admin.dispute_open(authorized.id)
    unknown = admin.dispute_open("pi_missing")
    nothing_left = admin.dispute_open(refunded.id)
    twice = admin.dispute_open(disputed.id)
    too_much = admin.dispute_open(disputed.id, amount=1001)

    assert uncaptured.status_code == 409
    assert "requires_capture" in uncaptured.json()["error"]["message"]
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "resource_missing")
    assert nothing_left.status_code == 409
    assert twice.status_code == 409
    assert too_much.status_code == 409  # the charge is disputed already: that comes first
    assert client.v1.charges.retrieve(str(authorized.latest_charge)).disputed is False


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"reason": "boredom"}, "reason"),
        ({"amount": 0}, "amount"),
        ({"amount": "500"}, "amount"),
        ({"amount": 1001}, "amount"),
        ({"status": "won"}, "status"),
    ],
)
def test_bad_dispute_fields_are_400(
    client: stripe.StripeClient, admin: Admin, fields: dict[str, Any], param: str
) -> None:
    intent = _captured(client)

    response = admin.dispute_open(intent.id, **fields)

    assert (response.status_code, response.json()["error"]["param"]) == (400, param)
    assert client.v1.disputes.list().data == []


def test_missing_payment_intent_is_400(sandbox: Sandbox) -> None:
    response = requests.post(f"{sandbox.url}/_sandbox/disputes", json={}, timeout=5)

    assert (response.status_code, response.json()["error"]["param"]) == (400, "payment_intent")


def test_the_sdk_retrieves_and_lists_disputes(client: stripe.StripeClient, admin: Admin) -> None:
    first, second = _captured(client), _captured(client)
    older = _opened(admin, first.id)
    newer = _opened(admin, second.id, reason="general")

    retrieved = client.v1.disputes.retrieve(older["id"])
    expanded = client.v1.disputes.retrieve(older["id"], {"expand": ["charge", "payment_intent"]})
    everything = client.v1.disputes.list()
    by_intent = client.v1.disputes.list({"payment_intent": second.id})
    by_charge = client.v1.disputes.list({"charge": str(first.latest_charge)})

    assert isinstance(retrieved, stripe.Dispute)
    assert retrieved.to_dict() == older
    assert isinstance(expanded.charge, stripe.Charge)
    assert expanded.charge.disputed is True
    assert isinstance(expanded.payment_intent, stripe.PaymentIntent)
    assert (everything.to_dict()["object"], everything.url, everything.has_more) == (
        "list",
        "/v1/disputes",
        False,
    )
    assert [d.id for d in everything.data] == [newer["id"], older["id"]]
    assert [d.id for d in by_intent.data] == [newer["id"]]
    assert [d.id for d in by_charge.data] == [older["id"]]


def test_disputes_page_and_auto_page(client: stripe.StripeClient, admin: Admin) -> None:
    ids = [_opened(admin, _captured(client).id)["id"] for _ in range(5)]

    first = client.v1.disputes.list({"limit": 2})
    second = client.v1.disputes.list({"limit": 2, "starting_after": first.data[-1].id})
    walked = [d.id for d in client.v1.disputes.list({"limit": 2}).auto_paging_iter()]

    assert ([d.id for d in first.data], first.has_more) == ([ids[4], ids[3]], True)
    assert [d.id for d in second.data] == [ids[2], ids[1]]
    assert walked == ids[::-1]


def test_an_unknown_dispute_is_404(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.disputes.retrieve("dp_missing")

    assert (caught.value.http_status, caught.value.code) == (404, "resource_missing")


def test_reset_forgets_disputes_and_stats_count_them(
    client: stripe.StripeClient, admin: Admin, sandbox: Sandbox
) -> None:
    dispute = _opened(admin, _captured(client).id)
    assert admin.stats()["objects"]["disputes"] == 1
    assert admin.stats()["requests"]["by_route"]["POST /_sandbox/disputes"] == {"200": 1}

    requests.post(f"{sandbox.url}/_sandbox/reset", timeout=5).raise_for_status()

    assert admin.stats()["objects"]["disputes"] == 0
    assert client.v1.disputes.list().data == []
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.disputes.retrieve(dispute["id"])


def test_the_dispute_test_card_is_disputed_once_captured(
    client: stripe.StripeClient, admin: Admin
) -> None:
    intent = client.v1.payment_intents.create(authorize(payment_method="pm_card_createDispute"))
    assert client.v1.disputes.list().data == []  # an authorization cannot be disputed

    client.v1.payment_intents.capture(intent.id, {"amount_to_capture": 800})

    [dispute] = client.v1.disputes.list({"payment_intent": intent.id}).data
    assert (dispute.amount, dispute.reason, dispute.status) == (800, "fraudulent", "needs_response")
    assert dispute.charge == intent.latest_charge
    assert admin.event_types(dispute.id) == [
        "charge.dispute.created",
        "charge.dispute.funds_withdrawn",
    ]
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create({"payment_intent": intent.id})
    assert caught.value.code == "charge_disputed"


def test_the_typed_dispute_card_number_is_disputed_when_charged(
    sandbox: Sandbox, client: stripe.StripeClient
) -> None:
    intent = client.v1.payment_intents.create(authorize(payment_method=None, confirm=None))
    card = {"number": "4000000000002685", "exp_month": "12", "exp_year": "34", "cvc": "123"}
    fields = {f"payment_method_data[card][{name}]": value for name, value in card.items()}

    answer = requests.post(
        f"{sandbox.url}/v1/payment_intents/{intent.id}/confirm",
        data={"payment_method_data[type]": "card", "capture_method": "automatic", **fields},
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=5,
    )

    assert answer.json()["status"] == "succeeded"
    [dispute] = client.v1.disputes.list({"payment_intent": intent.id}).data
    assert (dispute.amount, dispute.reason) == (1000, "product_not_received")


def test_the_merchant_accepts_a_dispute_through_the_api(
    client: stripe.StripeClient, admin: Admin
) -> None:
    dispute = _opened(admin, _captured(client).id)

    accepted = client.v1.disputes.close(dispute["id"], options={"idempotency_key": "accept-1"})
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.disputes.close(dispute["id"])

    assert (accepted.status, accepted.is_charge_refundable) == ("lost", False)
    assert again.value.http_status == 400
    assert again.value.param == "dispute"
    [closed] = admin.events(object_id=dispute["id"], type="charge.dispute.closed")
    assert closed["request"]["idempotency_key"] == "accept-1"
    assert closed["request"]["id"].startswith("req_")
