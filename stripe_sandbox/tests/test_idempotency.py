"""Stripe's Idempotency-Key semantics, through the SDK."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import stripe

from stripe_sandbox import Sandbox, Settings
from stripe_sandbox.settings import Chaos

from .conftest import API_KEY, Admin, authorize


def test_replay_returns_the_same_intent_and_makes_no_second_event(
    client: stripe.StripeClient, admin: Admin
) -> None:
    options: stripe.RequestOptions = {"idempotency_key": "pledge-7-authorize"}
    first = client.v1.payment_intents.create(authorize(), options)
    events_before = [e["id"] for e in admin.events()]

    again = client.v1.payment_intents.create(authorize(), options)

    assert again.id == first.id
    assert again.to_dict() == first.to_dict()
    assert again.last_response is not None
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert first.last_response is not None
    assert "Idempotent-Replayed" not in first.last_response.headers
    assert again.last_response.headers["Original-Request"] == first.last_response.request_id
    assert [e["id"] for e in admin.events()] == events_before
    assert admin.stats()["objects"]["payment_intents"] == 1
    assert admin.stats()["idempotency"]["replays"] == 1


def test_replay_is_the_first_answer_even_after_the_intent_moved_on(
    client: stripe.StripeClient,
) -> None:
    options: stripe.RequestOptions = {"idempotency_key": "pledge-8-authorize"}
    first = client.v1.payment_intents.create(authorize(), options)
    client.v1.payment_intents.capture(first.id)

    again = client.v1.payment_intents.create(authorize(), options)

    assert again.status == "requires_capture"  # the saved response, not today's state


def test_same_key_with_other_parameters_is_an_idempotency_error(
    client: stripe.StripeClient, admin: Admin
) -> None:
    options: stripe.RequestOptions = {"idempotency_key": "pledge-9-authorize"}
    client.v1.payment_intents.create(authorize(), options)

    with pytest.raises(stripe.IdempotencyError) as caught:
        client.v1.payment_intents.create(authorize(amount=2000), options)

    assert caught.value.http_status == 400
    assert str(caught.value.user_message).startswith(
        "Keys for idempotent requests can only be used with the same parameters they were first "
        "used with."
    )
    assert admin.stats()["objects"]["payment_intents"] == 1


def test_same_key_on_another_endpoint_is_an_idempotency_error(
    client: stripe.StripeClient,
) -> None:
    intent = client.v1.payment_intents.create(authorize(), {"idempotency_key": "shared"})

    with pytest.raises(stripe.IdempotencyError):
        client.v1.payment_intents.capture(intent.id, options={"idempotency_key": "shared"})

    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_capture"


def test_a_decline_is_replayed_too(client: stripe.StripeClient, admin: Admin) -> None:
    params = authorize(payment_method="pm_card_chargeDeclined")
    options: stripe.RequestOptions = {"idempotency_key": "pledge-10-authorize"}
    with pytest.raises(stripe.CardError) as first:
        client.v1.payment_intents.create(params, options)

    with pytest.raises(stripe.CardError) as again:
        client.v1.payment_intents.create(params, options)

    assert again.value.json_body == first.value.json_body
    assert (again.value.headers or {})["Idempotent-Replayed"] == "true"
    assert admin.stats()["objects"]["payment_intents"] == 1


def test_a_request_refused_by_validation_saves_nothing(client: stripe.StripeClient) -> None:
    options: stripe.RequestOptions = {"idempotency_key": "pledge-11-authorize"}
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.create(authorize(amount=10), options)

    intent = client.v1.payment_intents.create(authorize(), options)

    assert intent.status == "requires_capture"


def test_capture_replay_makes_one_capture(client: stripe.StripeClient, admin: Admin) -> None:
    intent = client.v1.payment_intents.create(authorize())
    options: stripe.RequestOptions = {"idempotency_key": f"capture-{intent.id}"}

    first = client.v1.payment_intents.capture(intent.id, options=options)
    again = client.v1.payment_intents.capture(intent.id, options=options)

    assert first.status == again.status == "succeeded"
    assert admin.event_types(intent.id).count("payment_intent.succeeded") == 1


def test_concurrent_requests_with_one_key_make_one_intent(sandbox: Sandbox, admin: Admin) -> None:
    # The SDK retries Stripe's 409 for a key in use (as payment_service's client does): every
    # request ends with the one intent.
    client = stripe.StripeClient(
        API_KEY, base_addresses={"api": sandbox.url}, max_network_retries=5
    )
    options: stripe.RequestOptions = {"idempotency_key": "pledge-12-authorize"}

    with ThreadPoolExecutor(16) as pool:
        intents = list(
            pool.map(lambda _: client.v1.payment_intents.create(authorize(), options), range(32))
        )

    assert len({intent.id for intent in intents}) == 1
    assert admin.stats()["objects"]["payment_intents"] == 1
    assert len(admin.events(type="payment_intent.created")) == 1


def test_keys_are_scoped_to_the_api_key(sandbox: Sandbox, client: stripe.StripeClient) -> None:
    other = stripe.StripeClient("sk_test_other_account", base_addresses={"api": sandbox.url})
    options: stripe.RequestOptions = {"idempotency_key": "same-key"}

    mine = client.v1.payment_intents.create(authorize(), options)
    theirs = other.v1.payment_intents.create(authorize(amount=2000), options)

    assert mine.id != theirs.id


def _raw_create(sandbox: Sandbox, key: str) -> requests.Response:
    data = {
        "amount": "1000",
        "currency": "usd",
        "payment_method": "pm_card_visa",
        "confirm": "true",
        "capture_method": "manual",
        "automatic_payment_methods[enabled]": "true",
        "automatic_payment_methods[allow_redirects]": "never",
    }
    return requests.post(
        f"{sandbox.url}/v1/payment_intents",
        data=data,
        headers={"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": key},
        timeout=10,
    )


def test_a_key_still_in_use_is_a_409_and_the_first_answer_is_replayed_after(
    sandbox: Sandbox, client: stripe.StripeClient, admin: Admin
) -> None:
    admin.configure(processing_delay_ms=1000)
    first: list[requests.Response] = []
    thread = threading.Thread(target=lambda: first.append(_raw_create(sandbox, "in-use")))
    thread.start()
    time.sleep(0.2)

    busy = _raw_create(sandbox, "in-use")
    with pytest.raises(stripe.APIError) as caught:  # how the SDK raises Stripe's 409
        client.v1.payment_intents.create(authorize(), {"idempotency_key": "in-use"})
    thread.join()
    admin.configure(processing_delay_ms=0)
    replay = _raw_create(sandbox, "in-use")

    assert busy.status_code == 409
    error = busy.json()["error"]
    assert (error["type"], error["code"]) == ("invalid_request_error", "idempotency_key_in_use")
    assert error["message"].startswith(
        "There is currently another in-progress request using this Idempotent Key"
    )
    assert "Idempotent-Replayed" not in busy.headers
    assert caught.value.http_status == 409
    assert first[0].status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == first[0].json()["id"]
    assert admin.stats()["objects"]["payment_intents"] == 1


def test_a_key_expires_after_24_hours_on_the_sandbox_clock(
    client: stripe.StripeClient, admin: Admin
) -> None:
    options: stripe.RequestOptions = {"idempotency_key": "pledge-13-authorize"}
    first = client.v1.payment_intents.create(authorize(), options)

    admin.clock_advance(24 * 3600 - 60)
    within = client.v1.payment_intents.create(authorize(), options)
    admin.clock_advance(61)
    after = client.v1.payment_intents.create(authorize(amount=2000), options)

    assert within.id == first.id
    assert after.id != first.id  # forgotten: the key executes afresh, other parameters and all
    assert after.amount == 2000
    assert admin.stats()["objects"]["payment_intents"] == 2


def test_thirty_days_later_every_key_is_gone(client: stripe.StripeClient, admin: Admin) -> None:
    for n in range(3):
        client.v1.payment_intents.create(authorize(), {"idempotency_key": f"old-{n}"})

    admin.clock_advance(30 * 86_400)
    again = client.v1.payment_intents.create(authorize(), {"idempotency_key": "old-0"})

    assert again.last_response is not None
    assert "Idempotent-Replayed" not in again.last_response.headers
    assert admin.stats()["idempotency"]["keys"] == 1


def test_the_ttl_is_a_setting() -> None:
    settings = Settings.from_env({"SANDBOX_PORT": "0", "SANDBOX_IDEMPOTENCY_TTL_S": "60"})
    box = Sandbox(
        Settings(
            port=0,
            log_requests=False,
            idempotency_ttl_s=settings.idempotency_ttl_s,
            chaos=Chaos(webhook_url=""),
        )
    )
    box.start()
    try:
        local = stripe.StripeClient(API_KEY, base_addresses={"api": box.url})
        options: stripe.RequestOptions = {"idempotency_key": "short-lived"}
        first = local.v1.payment_intents.create(authorize(), options)
        box.clock.advance(59)
        within = local.v1.payment_intents.create(authorize(), options)
        box.clock.advance(1)
        after = local.v1.payment_intents.create(authorize(), options)
    finally:
        box.stop()

    assert settings.idempotency_ttl_s == 60
    assert Settings().idempotency_ttl_s == 24 * 3600
    assert within.id == first.id
    assert after.id != first.id
