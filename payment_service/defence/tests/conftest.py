"""Fixtures of the defence's tests: the defence on (defaults), against the real sandbox's
Turnstile stand-in, in a Redis database of its own, one test run at a time on this machine."""

from __future__ import annotations

import fcntl
import itertools
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from defence.tests.helpers import defence_redis
from payments.models import Payment
from payments.tests.factories import Sandbox, webhook_post
from payments.tests.fakes import FakePledgeService

DEFENCE_DB = 15
LOCK = "/tmp/careforall-defence-tests.lock"  # noqa: S108 (a lock file, shared on purpose)
SOLVES = "1x00000000000000000000AA"  # the sandbox's site key that always solves
NEVER_SOLVES = "2x00000000000000000000AB"
# Any secret but Cloudflare's test secrets: the sandbox verifies its tokens for real, once each.
SECRET = "careforall-test-challenge-secret"
_pledge_ids = itertools.count(500)


@pytest.fixture
def defence(settings: Any, monkeypatch: Any, sandbox: Sandbox) -> Iterator[Any]:
    """The defence as it ships (limits on, challenge auto), its keys emptied; the Redis client."""
    with open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        client = defence_redis(monkeypatch, settings, DEFENCE_DB)
        client.flushdb()
        settings.PAYMENT_LIMITS = "on"
        settings.CHALLENGE_MODE = "auto"
        settings.CHALLENGE_SITE_KEY = SOLVES
        settings.CHALLENGE_SECRET_KEY = SECRET
        settings.CHALLENGE_VERIFY_URL = f"{sandbox.url}/turnstile/v0/siteverify"
        settings.CHALLENGE_SCRIPT_URL = f"{sandbox.url}/turnstile/v0/api.js"
        yield client
        client.flushdb()


def solved(sandbox: Sandbox, sitekey: str = SOLVES) -> str:
    """A token of the sandbox's widget, solved without a browser."""
    response = requests.post(
        f"{sandbox.url}/turnstile/v0/token", json={"sitekey": sitekey}, timeout=5
    )
    response.raise_for_status()
    token: str = response.json()["token"]
    return token


def guest_pledge(pledge_service: FakePledgeService, *, campaign_id: int = 7) -> tuple[int, str]:
    """A new guest pledge: its id and receipt token."""
    token = uuid.uuid4().hex
    pledge_id = pledge_service.add(
        next(_pledge_ids), user_id=None, receipt_token=token, campaign_id=campaign_id
    )
    return pledge_id, token


def guest_pay(
    client: Any,
    pledge_service: FakePledgeService,
    *,
    address: str = "203.0.113.10",
    card: str = "pm_card_visa",
    key: str | None = None,
    pledge: tuple[int, str] | None = None,
    **extra: Any,
) -> Any:
    """``POST /api/payments`` of a guest, from ``address`` as the gateway sends it."""
    pledge_id, token = pledge or guest_pledge(pledge_service)
    body = {"pledge_id": pledge_id, "receipt_token": token, "payment_method": card, **extra}
    return client.post(
        "/api/payments",
        body,
        format="json",
        headers={"Idempotency-Key": key or uuid.uuid4().hex, "X-Forwarded-For": address},
    )


def delivered(client: Any, sandbox: Sandbox, payment_id: int, event_type: str) -> Any:
    """Deliver the sandbox's ``event_type`` event about the payment's intent to the webhook."""
    intent_id = Payment.objects.get(pk=payment_id).provider_payment_id
    assert intent_id is not None
    response = webhook_post(client, sandbox.event(intent_id, event_type))
    assert response.status_code == 200, response.content
    return response
