"""Concurrent repeats (SPEC §3, §5.1, §5.5): one payment, one intent, one answer.

Committed transactions, real connections: one thread per request, each with its own client and
its own database connection, all released at once, against the real sandbox.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from rest_framework.test import APIClient

from careforall_common.outbox.models import OutboxEvent
from careforall_common.testing import concurrency
from payments.models import IdempotencyRecord, Payment
from payments.tests.factories import AUTHORIZED_EVENTS, Sandbox, events, payment_post

pytestmark = pytest.mark.django_db(transaction=True)

REQUESTS = 50
VISA = {"pledge_id": 41, "payment_method": "pm_card_visa"}


def race(make_client: Callable[[], APIClient], keys: list[str]) -> list[Any]:
    """POST ``VISA`` once per key, each from its own thread and client, all at once."""

    def post(key: str) -> Any:
        return payment_post(make_client(), VISA, key=key)

    return concurrency.race([partial(post, key) for key in keys])


@pytest.fixture
def donor(make_token: Callable[..., str]) -> Callable[[], APIClient]:
    token = make_token(user_id=2)

    def make() -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client

    return make


def test_fifty_identical_concurrent_requests_make_one_payment_and_one_intent(
    donor: Callable[[], APIClient], donor_pledge: int, sandbox: Sandbox
) -> None:
    answers = race(donor, ["race-key"] * REQUESTS)

    # SPEC §3: a repeat while the first request still runs gets the original answer or 409.
    # Stripe answers 409 to a request whose key another request is using (so does the sandbox):
    # a repeat that reaches the provider while another is there, past the SDK's retries, is
    # 409 "in progress"; the first request asks again until it has the reply (it answers 201
    # without the header); every other answer is the first one, replayed.
    statuses = Counter(answer.status_code for answer in answers)
    assert set(statuses) <= {201, 409}
    created = [answer for answer in answers if answer.status_code == 201]
    assert Counter(answer.get("Idempotent-Replayed") for answer in created) == {
        None: 1,
        "true": len(created) - 1,
    }
    assert len({answer.content for answer in created}) == 1
    busy = [answer.json() for answer in answers if answer.status_code == 409]
    assert all("in progress" in problem["detail"] for problem in busy)
    payment = Payment.objects.get()
    assert json.loads(created[0].content)["status"] == "AUTHORIZED"
    assert json.loads(created[0].content)["id"] == payment.pk
    assert IdempotencyRecord.objects.get().answered is True
    assert events() == AUTHORIZED_EVENTS
    assert sandbox.intents() == 1
    intent_events = sandbox.events(payment.provider_payment_id or "")
    assert [event["type"] for event in intent_events] == [
        "payment_intent.created",
        "payment_intent.amount_capturable_updated",
    ]


def test_concurrent_requests_with_other_keys_make_one_payment(
    donor: Callable[[], APIClient], donor_pledge: int, sandbox: Sandbox
) -> None:
    keys = [f"key-{index}" for index in range(10)]

    answers = race(donor, keys)

    payment = Payment.objects.get()
    statuses = Counter(answer.status_code for answer in answers)
    assert statuses == {201: 1, 409: 9}
    refused = [answer.json() for answer in answers if answer.status_code == 409]
    assert {problem.get("payment_id") for problem in refused} == {payment.pk}
    assert IdempotencyRecord.objects.count() == 1
    assert OutboxEvent.objects.count() == 2
    assert sandbox.intents() == 1


def test_the_authorization_schedules_one_capture_after_the_commit(
    donor_client: Any, donor_pledge: int, redis_client: Any
) -> None:
    from payments.tests.factories import TEST_QUEUE

    redis_client.delete(TEST_QUEUE)

    payment_post(donor_client, VISA)

    messages = [json.loads(raw) for raw in redis_client.lrange(TEST_QUEUE, 0, -1)]
    captures = [m for m in messages if m["headers"]["task"] == "payments.capture"]
    assert len(captures) == 1
    assert captures[0]["headers"]["kwargsrepr"] == f"{{'payment_id': {Payment.objects.get().pk}}}"
