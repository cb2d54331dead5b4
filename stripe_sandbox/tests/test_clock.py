"""The sandbox's clock: `POST /_sandbox/clock/advance` moves `created` and key ages forward."""

from __future__ import annotations

import time

import requests
import stripe

from stripe_sandbox import Sandbox

from .conftest import Admin, Receiver, authorize

THIRTY_DAYS = 30 * 86_400


def test_objects_and_events_made_after_an_advance_carry_the_new_time(
    client: stripe.StripeClient, admin: Admin, receiver: Receiver
) -> None:
    before = client.v1.payment_intents.create(authorize())

    clock = admin.clock_advance(THIRTY_DAYS)
    intent = client.v1.payment_intents.create(authorize(capture_method="automatic"))
    refund = client.v1.refunds.create({"payment_intent": intent.id})

    real = int(time.time())
    assert clock["offset_s"] == THIRTY_DAYS
    assert abs(clock["now"] - (real + THIRTY_DAYS)) <= 2
    assert abs(before.created - real) <= 2
    for created in (
        intent.created,
        refund.created,
        client.v1.charges.retrieve(str(intent.latest_charge)).created,
    ):
        assert abs(created - (real + THIRTY_DAYS)) <= 2
    event = admin.events(object_id=intent.id, payload="1")[-1]
    assert abs(event["created"] - (real + THIRTY_DAYS)) <= 2
    # Webhooks stay verifiable: their signature carries the real time.
    receiver.wait_delivered(intent.id, 1)
    delivery = receiver.received_for(intent.id)[0]
    stripe.Webhook.construct_event(delivery.body, delivery.signature, "whsec_careforall_local")


def test_the_clock_reads_back_and_a_reset_returns_it_to_the_real_time(
    sandbox: Sandbox, admin: Admin
) -> None:
    admin.clock_advance(3600)
    admin.clock_advance(60)

    read = requests.get(f"{sandbox.url}/_sandbox/clock", timeout=5).json()
    requests.post(f"{sandbox.url}/_sandbox/reset", timeout=5).raise_for_status()
    after = requests.get(f"{sandbox.url}/_sandbox/clock", timeout=5).json()

    assert read["offset_s"] == 3660
    assert admin.stats()["clock"]["offset_s"] == 0
    assert after["offset_s"] == 0
    assert abs(after["now"] - int(time.time())) <= 2


def test_the_clock_only_moves_forward(sandbox: Sandbox) -> None:
    url = f"{sandbox.url}/_sandbox/clock/advance"
    answers = [
        requests.post(url, json=body, timeout=5)
        for body in ({"seconds": -1}, {"seconds": 0}, {"seconds": "60"}, {"days": 1}, {})
    ]

    assert [a.status_code for a in answers] == [400] * 5
    assert {a.json()["error"]["param"] for a in answers} == {"seconds", "days"}
    assert sandbox.clock.offset_s == 0
