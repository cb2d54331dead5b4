"""GET /v1/refunds through the SDK: filters, paging, auto-paging; and what refund events carry."""

from __future__ import annotations

import pytest
import requests
import stripe

from stripe_sandbox import Sandbox

from .conftest import API_KEY, Receiver, authorize


def _captured(client: stripe.StripeClient, amount: int = 1000) -> stripe.PaymentIntent:
    intent = client.v1.payment_intents.create(authorize(amount=amount))
    return client.v1.payment_intents.capture(intent.id)


def _refunds(client: stripe.StripeClient, intent_id: str, count: int) -> list[str]:
    """`count` refunds of 100 each, oldest first."""
    return [
        client.v1.refunds.create({"payment_intent": intent_id, "amount": 100}).id
        for _ in range(count)
    ]


def test_lists_newest_first_as_a_stripe_list(client: stripe.StripeClient) -> None:
    intent = _captured(client)
    ids = _refunds(client, intent.id, 3)

    page = client.v1.refunds.list()

    assert page.to_dict()["object"] == "list"
    assert page.url == "/v1/refunds"
    assert page.has_more is False
    assert [r.id for r in page.data] == ids[::-1]
    assert all(r.object == "refund" and r.status == "succeeded" for r in page.data)


def test_filters_by_payment_intent_and_charge(client: stripe.StripeClient) -> None:
    first, second = _captured(client), _captured(client)
    mine = _refunds(client, first.id, 2)
    _refunds(client, second.id, 1)

    by_intent = client.v1.refunds.list({"payment_intent": first.id})
    by_charge = client.v1.refunds.list({"charge": str(first.latest_charge)})
    both_mismatched = client.v1.refunds.list(
        {"payment_intent": first.id, "charge": str(second.latest_charge)}
    )

    assert [r.id for r in by_intent.data] == mine[::-1]
    assert [r.id for r in by_charge.data] == mine[::-1]
    assert {r.payment_intent for r in by_intent.data} == {first.id}
    assert both_mismatched.data == []


def test_pages_with_limit_and_cursors(client: stripe.StripeClient) -> None:
    intent = _captured(client)
    newest_first = _refunds(client, intent.id, 5)[::-1]

    first = client.v1.refunds.list({"limit": 2})
    second = client.v1.refunds.list({"limit": 2, "starting_after": first.data[-1].id})
    last = client.v1.refunds.list({"limit": 2, "starting_after": second.data[-1].id})
    back = client.v1.refunds.list({"limit": 2, "ending_before": last.data[0].id})
    top = client.v1.refunds.list({"limit": 2, "ending_before": newest_first[2]})

    assert ([r.id for r in first.data], first.has_more) == (newest_first[:2], True)
    assert ([r.id for r in second.data], second.has_more) == (newest_first[2:4], True)
    assert ([r.id for r in last.data], last.has_more) == (newest_first[4:], False)
    assert ([r.id for r in back.data], back.has_more) == (newest_first[2:4], True)
    assert ([r.id for r in top.data], top.has_more) == (newest_first[:2], False)


def test_auto_paging_iter_walks_every_page(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    intent = _captured(client, amount=5000)
    ids = _refunds(client, intent.id, 7)

    walked = [r.id for r in client.v1.refunds.list({"limit": 3}).auto_paging_iter()]
    backwards = client.v1.refunds.list({"limit": 3, "ending_before": ids[0]}).auto_paging_iter()

    assert walked == ids[::-1]
    assert [r.id for r in backwards] == ids[1:]  # oldest first: the SDK walks back page by page
    assert sandbox.stats()["requests"]["by_route"]["GET /v1/refunds"] == {"200": 3 + 2}


def test_filters_by_created(client: stripe.StripeClient, sandbox: Sandbox) -> None:
    intent = _captured(client)
    ids = _refunds(client, intent.id, 4)
    for offset, refund_id in enumerate(ids):  # one second apart, as if made over four seconds
        sandbox.payments.refunds[refund_id].created = 1_700_000_000 + offset

    def listed(created: stripe.params.RefundListParamsCreated | int) -> list[str]:
        return [r.id for r in client.v1.refunds.list({"created": created}).data]

    assert listed({"gte": 1_700_000_001}) == ids[:0:-1]
    assert listed({"gt": 1_700_000_001}) == [ids[3], ids[2]]
    assert listed({"lte": 1_700_000_001}) == [ids[1], ids[0]]
    assert listed({"lt": 1_700_000_001}) == [ids[0]]
    assert listed({"gt": 1_700_000_000, "lt": 1_700_000_003}) == [ids[2], ids[1]]
    assert listed(1_700_000_002) == [ids[2]]


@pytest.mark.parametrize(
    ("query", "param", "code"),
    [
        ({"status": "succeeded"}, "status", "parameter_unknown"),
        ({"created[after]": "1"}, "created[after]", "parameter_unknown"),
        ({"created[gte]": "soon"}, "created[gte]", "parameter_invalid_integer"),
        ({"limit": "0"}, "limit", "parameter_invalid_integer"),
        ({"limit": "101"}, "limit", "parameter_invalid_integer"),
        ({"starting_after": "re_missing"}, "starting_after", "resource_missing"),
        ({"payment_intent": "pi_missing"}, "payment_intent", "resource_missing"),
    ],
)
def test_bad_parameters_are_invalid_request(
    sandbox: Sandbox, query: dict[str, str], param: str, code: str
) -> None:
    response = requests.get(
        f"{sandbox.url}/v1/refunds",
        params=query,
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=5,
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, code)


def test_the_sdk_raises_on_an_unknown_cursor(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.list({"ending_before": "re_missing"})

    assert (caught.value.http_status, caught.value.code) == (400, "resource_missing")
    assert caught.value.param == "ending_before"


def test_expands_the_charge_of_each_refund(client: stripe.StripeClient) -> None:
    intent = _captured(client)
    _refunds(client, intent.id, 1)

    page = client.v1.refunds.list({"expand": ["data.charge"]})

    charge = page.data[0].charge
    assert isinstance(charge, stripe.Charge)
    assert charge.id == intent.latest_charge


def test_refund_events_carry_metadata_and_amounts(
    client: stripe.StripeClient, receiver: Receiver
) -> None:
    intent = _captured(client)

    refund = client.v1.refunds.create(
        {"payment_intent": intent.id, "amount": 400, "metadata": {"refund_id": "17"}}
    )

    assert refund.to_dict()["metadata"] == {"refund_id": "17"}
    assert client.v1.refunds.retrieve(refund.id).to_dict()["metadata"] == {"refund_id": "17"}
    assert client.v1.refunds.list().data[0].to_dict()["metadata"] == {"refund_id": "17"}
    charge = str(intent.latest_charge)
    receiver.wait_delivered(refund.id, 1)
    # The charge has events of its own before the refund's (its capture): wait for this one.
    receiver.wait_for(
        lambda _: any(e["type"] == "charge.refunded" for e in receiver.delivered_for(charge)),
        5.0,
    )
    created = receiver.delivered_for(refund.id)[0]
    refunded = next(e for e in receiver.delivered_for(charge) if e["type"] == "charge.refunded")
    assert created["type"] == "refund.created"
    body = created["data"]["object"]
    assert (body["status"], body["amount"], body["metadata"]) == (
        "succeeded",
        400,
        {"refund_id": "17"},
    )
    assert (body["payment_intent"], body["charge"]) == (intent.id, intent.latest_charge)
    charge = refunded["data"]["object"]
    assert (charge["amount_refunded"], charge["refunded"]) == (400, False)
