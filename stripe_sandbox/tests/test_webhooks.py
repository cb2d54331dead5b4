"""Webhook deliveries: Stripe's signature, retries, and the chaos controls."""

from __future__ import annotations

import time

import pytest
import requests
import stripe

from stripe_sandbox import Sandbox

from .conftest import WEBHOOK_SECRET, Admin, Receiver, authorize


def _authorized_and_captured(client: stripe.StripeClient) -> str:
    intent = client.v1.payment_intents.create(authorize(), {"idempotency_key": "hook-1"})
    client.v1.payment_intents.capture(intent.id)
    return intent.id


def test_deliveries_verify_with_the_sdk(client: stripe.StripeClient, receiver: Receiver) -> None:
    intent_id = _authorized_and_captured(client)

    receiver.wait_delivered(intent_id, 3)

    for delivery in receiver.received:
        event = stripe.Webhook.construct_event(delivery.body, delivery.signature, WEBHOOK_SECRET)
        assert event.object == "event"
        assert event.livemode is False
        assert event.api_version == stripe.api_version
        assert event.id.startswith("evt_")
        assert event.pending_webhooks == 1
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(delivery.body, delivery.signature, "whsec_wrong")
    by_type = {e["type"]: e for e in receiver.delivered_for(intent_id)}
    authorized = by_type["payment_intent.amount_capturable_updated"]["data"]["object"]
    succeeded = by_type["payment_intent.succeeded"]["data"]["object"]
    assert (authorized["status"], authorized["amount_capturable"]) == ("requires_capture", 1000)
    assert (succeeded["status"], succeeded["amount_received"]) == ("succeeded", 1000)
    assert by_type["payment_intent.created"]["request"]["idempotency_key"] == "hook-1"


def test_a_tampered_body_fails_verification(
    client: stripe.StripeClient, receiver: Receiver
) -> None:
    intent = client.v1.payment_intents.create(authorize())
    receiver.wait_delivered(intent.id, 1)
    delivery = receiver.received_for(intent.id)[0]

    tampered = delivery.body.replace(b'"amount":1000', b'"amount":1')

    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(tampered, delivery.signature, WEBHOOK_SECRET)


def test_retries_until_a_2xx(client: stripe.StripeClient, receiver: Receiver, admin: Admin) -> None:
    receiver.fail_first = 2
    intent = client.v1.payment_intents.create(authorize())

    receiver.wait_delivered(intent.id, 2)
    admin.flush(wait_ms=3000)  # the sandbox records an outcome just after the receiver answers

    event = admin.events(object_id=intent.id, type="payment_intent.amount_capturable_updated")[0]
    attempts = event["deliveries"][0]["attempts"]
    assert [a["http_status"] for a in attempts] == [500, 500, 200]
    assert [a["outcome"] for a in attempts] == ["failed", "failed", "delivered"]
    assert event["deliveries"][0]["status"] == "delivered"
    assert attempts[1]["at"] - attempts[0]["at"] >= 0.1  # backoff: 0.2 s with jitter


def test_one_failing_event_does_not_hold_back_the_others(
    client: stripe.StripeClient, receiver: Receiver, admin: Admin
) -> None:
    receiver.fail_types = {"payment_intent.created"}

    intent_id = _authorized_and_captured(client)

    receiver.wait_delivered(intent_id, 2)
    receiver.wait_for(lambda _: any(r.answered == 500 for r in receiver.received_for(intent_id)))
    assert sorted(e["type"] for e in receiver.delivered_for(intent_id)) == [
        "payment_intent.amount_capturable_updated",
        "payment_intent.succeeded",
    ]
    created = admin.events(type="payment_intent.created")[0]["deliveries"][0]
    assert created["status"] in ("pending", "in_flight")  # still being retried
    assert {a["outcome"] for a in created["attempts"]} <= {"failed"}


def test_duplicate_delivers_each_event_three_times(
    client: stripe.StripeClient, receiver: Receiver, admin: Admin
) -> None:
    admin.configure(duplicate=2)

    intent = client.v1.payment_intents.create(authorize())

    receiver.wait_delivered(intent.id, 6)
    admin.flush(wait_ms=3000)
    ids = [e["id"] for e in receiver.delivered_for(intent.id)]
    assert len(ids) == 6
    assert all(ids.count(event_id) == 3 for event_id in ids)


def test_reorder_shuffles_deliveries(
    client: stripe.StripeClient, receiver: Receiver, admin: Admin
) -> None:
    admin.configure(reorder=True, reorder_window_ms=400, enabled_events=["payment_intent.created"])
    created = [client.v1.payment_intents.create(authorize()).id for _ in range(12)]

    receiver.wait_for(lambda _: all(receiver.received_for(i) for i in created))

    arrived = [d.event["data"]["object"]["id"] for d in receiver.received]
    arrived = [i for i in arrived if i in created]
    assert sorted(arrived) == sorted(created)
    assert arrived != created


def test_drop_forever_never_delivers_that_type(
    client: stripe.StripeClient, receiver: Receiver, admin: Admin
) -> None:
    admin.configure(drop_forever=["payment_intent.succeeded"])

    intent_id = _authorized_and_captured(client)

    receiver.wait_delivered(intent_id, 2)
    admin.flush(wait_ms=2000)
    assert "payment_intent.succeeded" not in [e["type"] for e in receiver.delivered_for(intent_id)]
    dropped = admin.events(object_id=intent_id, type="payment_intent.succeeded")[0]
    assert dropped["deliveries"] == [
        {"copy": 0, "status": "dropped", "next_attempt_at": None, "attempts": []}
    ]
    assert admin.stats()["webhooks"]["dropped_forever"] == 1


def test_drop_first_loses_attempts_then_delivers_once(
    client: stripe.StripeClient, receiver: Receiver, admin: Admin
) -> None:
    admin.configure(drop_first=2, enabled_events=["payment_intent.created"])

    intent = client.v1.payment_intents.create(authorize())

    receiver.wait_delivered(intent.id, 1)
    admin.flush(wait_ms=3000)
    assert len(receiver.received_for(intent.id)) == 1  # the lost attempts never arrived
    attempts = admin.events(object_id=intent.id)[0]["deliveries"][0]["attempts"]
    assert [a["outcome"] for a in attempts] == ["dropped", "dropped", "delivered"]


def test_delay_holds_deliveries_back(
    client: stripe.StripeClient, receiver: Receiver, admin: Admin
) -> None:
    admin.configure(delay_ms=400, enabled_events=["payment_intent.created"])
    started = time.monotonic()

    intent = client.v1.payment_intents.create(authorize())

    receiver.wait_delivered(intent.id, 1)
    assert time.monotonic() - started >= 0.4


def test_flush_delivers_what_waits_for_a_retry(
    client: stripe.StripeClient, receiver: Receiver, admin: Admin
) -> None:
    admin.configure(
        retry_base_ms=60_000, retry_cap_ms=60_000, enabled_events=["payment_intent.created"]
    )
    receiver.fail_first = 1
    intent = client.v1.payment_intents.create(authorize())
    receiver.wait_for(lambda _: len(receiver.received_for(intent.id)) >= 1)

    result = admin.flush(wait_ms=3000)

    assert result == {"unfinished": 0}
    assert [d.answered for d in receiver.received_for(intent.id)] == [500, 200]


def test_enabled_events_filters_what_is_sent(
    client: stripe.StripeClient, receiver: Receiver, admin: Admin
) -> None:
    admin.configure(enabled_events=["payment_intent.succeeded"])

    intent_id = _authorized_and_captured(client)

    receiver.wait_delivered(intent_id, 1)
    admin.flush(wait_ms=1000)
    assert [e["type"] for e in receiver.delivered_for(intent_id)] == ["payment_intent.succeeded"]
    created = client.v1.events.retrieve(admin.events(type="payment_intent.created")[0]["id"])
    assert created.pending_webhooks == 0


def test_config_is_validated_and_reset_restores_it(sandbox: Sandbox, admin: Admin) -> None:
    refused = requests.post(f"{sandbox.url}/_sandbox/config", json={"duplicate": "2"}, timeout=5)
    unknown = requests.post(f"{sandbox.url}/_sandbox/config", json={"shuffle": True}, timeout=5)
    changed = admin.configure(duplicate=1, drop_forever=True)

    reset = requests.post(f"{sandbox.url}/_sandbox/reset", timeout=5).json()

    assert refused.status_code == 400
    assert refused.json()["error"]["param"] == "duplicate"
    assert unknown.status_code == 400
    assert (changed["duplicate"], changed["drop_forever"]) == (1, True)
    assert (reset["config"]["duplicate"], reset["config"]["drop_forever"]) == (0, False)
    health = requests.get(f"{sandbox.url}/_sandbox/health", timeout=5)
    assert (health.status_code, health.json()) == (200, {"status": "ok"})


def test_stats_count_requests_and_deliveries(
    client: stripe.StripeClient, receiver: Receiver, admin: Admin
) -> None:
    _authorized_and_captured(client)
    admin.flush(wait_ms=3000)

    stats = admin.stats()

    assert stats["requests"]["by_route"]["POST /v1/payment_intents"] == {"200": 1}
    assert stats["requests"]["by_route"]["POST /v1/payment_intents/{id}/capture"] == {"200": 1}
    assert stats["webhooks"]["events"] == 5
    assert stats["webhooks"]["delivered"] == 5
    assert stats["webhooks"]["pending"] == 0
