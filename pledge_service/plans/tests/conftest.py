from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from careforall_common.redis_client import redis_client
from careforall_common.testing.peers import FakePeer, peer_served
from notices.tests.conftest import campaigns, smtp_sink  # noqa: F401  (fixtures)
from plans.apis import access
from pledges.tests.conftest import (  # noqa: F401  (fixtures of the pledge suite)
    _no_campaign_service,
    _outbox_wake_ups_to_a_test_queue,
    active_campaign,
    campaign_service,
)


class FakePaymentService(FakePeer):
    """payment_service's plan routes (docs/recurring.md "Internal calls"), signed, over HTTP."""

    def __init__(self, *, secret: str | None = None) -> None:
        super().__init__(secret=secret)
        self.calls: list[tuple[str, dict[str, Any]]] = []  # each POST, its body parsed
        self.payments: dict[int, dict[str, Any]] = {}  # by pledge id
        self.card_status = 200

    def respond_post(self, path: str, body: bytes) -> tuple[int, Any]:
        data = json.loads(body)
        self.calls.append((path, data))
        if path == "/internal/plans/first-payment":
            return self.first_payment(data)
        if path == f"/internal/plans/{data['plan_id']}/authenticated-payment":
            return self.first_payment(data, browser=True)
        if path == f"/internal/plans/{data['plan_id']}/card":
            if self.card_status != 200:
                return self.card_status, {"status": self.card_status, "detail": "No card."}
            if "payment_method" in data:
                return 200, {"card_brand": "mastercard", "card_last4": "4444"}
            return 200, {"client_secret": "seti_1_secret_2", "publishable_key": "pk_test_x"}
        return 404, {"status": 404}

    def first_payment(self, body: dict[str, Any], *, browser: bool = False) -> tuple[int, Any]:
        pledge_id = body["pledge_id"]
        if pledge_id in self.payments:
            return 409, self.payments[pledge_id]
        payment = {
            "id": 100 + len(self.payments),
            "pledge_id": pledge_id,
            "campaign_id": body["campaign_id"],
            "amount": body["amount"],
            "currency": body["currency"],
            "status": "PROCESSING",
            "provider_payment_id": f"pi_{pledge_id}",
            "failure_reason": None,
            "refunded_amount": 0,
            "card_brand": None,
            "card_last4": None,
            "created_at": "2030-01-01T00:00:00Z",
            "updated_at": "2030-01-01T00:00:00Z",
        }
        self.payments[pledge_id] = payment
        if browser or "payment_method" not in body:
            return 201, {**payment, "client_secret": "pi_secret", "publishable_key": "pk_test_x"}
        return 201, payment


@pytest.fixture
def payment_service(settings: Any) -> Iterator[FakePaymentService]:
    fake = FakePaymentService(secret=settings.CAREFORALL["INTERNAL_EVENT_SECRET"])
    with peer_served(settings, "payment", fake):
        yield fake


@pytest.fixture(autouse=True)
def _small_guest_gifts_allowed(settings: Any) -> None:
    """Most plan tests are not about the guest minimum (its own tests set it back)."""
    settings.MIN_GUEST_AMOUNT = 1


@pytest.fixture(autouse=True)
def _defence_admits_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    """Most plan tests are not about the card-testing defence, whose limits and challenge mode
    live in the shared Redis: the gate lets them through (``test_plan_defence`` puts it back)."""
    monkeypatch.setattr(access, "attempt_admit", lambda attempt: None)


def defence_forget() -> None:
    """Forget every counted attempt and the challenge mode (the shared Redis)."""
    client = redis_client()
    for pattern in ("cfa:challenge:*", "cfa:limit:*"):
        for key in client.scan_iter(pattern):
            client.delete(key)
