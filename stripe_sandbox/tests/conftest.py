"""The sandbox in-process on a free port, a webhook receiver, and the SDK pointed at them."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

import pytest
import requests
import stripe
from stripe.params import PaymentIntentCreateParams

from stripe_sandbox import Sandbox, Settings
from stripe_sandbox.settings import Chaos

API_KEY = "sk_test_careforall"
WEBHOOK_SECRET = "whsec_careforall_local"
# What a payment service sends to authorize: manual capture, no redirect-based methods.
AUTHORIZE: PaymentIntentCreateParams = {
    "amount": 1000,
    "currency": "usd",
    "payment_method": "pm_card_visa",
    "confirm": True,
    "capture_method": "manual",
    "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
}


def authorize(**changes: Any) -> PaymentIntentCreateParams:
    """AUTHORIZE with `changes`; a None leaves the parameter out (the SDK skips None values)."""
    return cast(PaymentIntentCreateParams, {**AUTHORIZE, **changes})


@dataclass(frozen=True)
class Received:
    body: bytes
    signature: str
    answered: int

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


class Receiver:
    """A webhook endpoint that records every POST; it can fail attempts on purpose."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.received: list[Received] = []
        self.fail_first = 0  # answer 500 to the first N attempts of each event id
        self.fail_types: set[str] = set()  # answer 500 to these event types, always
        self._attempts: Counter[str] = Counter()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = receiver._answer(body, self.headers.get("Stripe-Signature", ""))
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/api/payments/webhook"

    def _answer(self, body: bytes, signature: str) -> int:
        event = json.loads(body)
        with self._cond:
            self._attempts[event["id"]] += 1
            failing = self._attempts[event["id"]] <= self.fail_first
            status = 500 if failing or event["type"] in self.fail_types else 200
            self.received.append(Received(body, signature, status))
            self._cond.notify_all()
        return status

    def reset(self) -> None:
        with self._cond:
            self.received.clear()
            self._attempts.clear()
            self.fail_first = 0
            self.fail_types = set()

    def wait_for(
        self, check: Callable[[list[Received]], bool], timeout: float = 5.0
    ) -> list[Received]:
        """Wait until `check(received so far)` holds; return what was received."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not check(self.received):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out; received {len(self.received)} deliveries")
                self._cond.wait(left)
            return list(self.received)

    def wait_delivered(self, object_id: str, count: int, timeout: float = 5.0) -> None:
        """Wait until `count` deliveries about `object_id` were answered 2xx."""
        self.wait_for(lambda _: len(self.delivered_for(object_id)) >= count, timeout)

    def received_for(self, object_id: str) -> list[Received]:
        """Every attempt that reached the receiver about `object_id`, in arrival order.

        Filtering by object keeps a late delivery from an earlier test out of the picture.
        """
        with self._cond:  # reentrant from wait_for's check: a Condition holds an RLock
            return [r for r in self.received if r.event["data"]["object"]["id"] == object_id]

    def delivered_for(self, object_id: str) -> list[dict[str, Any]]:
        """Events about `object_id` answered 2xx, in arrival order."""
        return [r.event for r in self.received_for(object_id) if r.answered == 200]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="session")
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture(scope="session")
def sandbox(receiver: Receiver) -> Iterator[Sandbox]:
    settings = Settings(
        port=0,
        webhook_secret=WEBHOOK_SECRET,
        log_requests=False,
        webhook_timeout_ms=2000,
        chaos=Chaos(webhook_url=receiver.url),
    )
    server = Sandbox(settings)
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fresh(request: pytest.FixtureRequest) -> None:
    """Each test starts from an empty sandbox and receiver (when it uses them)."""
    if "sandbox" in request.fixturenames:
        box: Sandbox = request.getfixturevalue("sandbox")
        requests.post(f"{box.url}/_sandbox/reset", timeout=5).raise_for_status()
        request.getfixturevalue("receiver").reset()


@pytest.fixture
def client(sandbox: Sandbox) -> stripe.StripeClient:
    """Configured as payment_service will be: STRIPE_API_BASE as the `api` base address."""
    return stripe.StripeClient(API_KEY, base_addresses={"api": sandbox.url})


@pytest.fixture
def global_stripe(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """The module-level style: `stripe.api_key` and `stripe.api_base`."""
    monkeypatch.setattr(stripe, "api_key", API_KEY)
    monkeypatch.setattr(stripe, "api_base", sandbox.url)


@pytest.fixture
def admin(sandbox: Sandbox) -> Admin:
    return Admin(sandbox.url)


class Admin:
    """The /_sandbox routes over HTTP."""

    def __init__(self, url: str) -> None:
        self.url = url

    def configure(self, **changes: Any) -> dict[str, Any]:
        response = requests.post(f"{self.url}/_sandbox/config", json=changes, timeout=5)
        response.raise_for_status()
        config: dict[str, Any] = response.json()
        return config

    def events(self, **query: str) -> list[dict[str, Any]]:
        response = requests.get(f"{self.url}/_sandbox/events", params=query, timeout=5)
        response.raise_for_status()
        data: list[dict[str, Any]] = response.json()["data"]
        return data

    def event_types(self, object_id: str) -> list[str]:
        return [e["type"] for e in self.events(object_id=object_id)]

    def stats(self) -> dict[str, Any]:
        response = requests.get(f"{self.url}/_sandbox/stats", timeout=5)
        response.raise_for_status()
        stats: dict[str, Any] = response.json()
        return stats

    def flush(self, wait_ms: int = 0) -> dict[str, Any]:
        response = requests.post(f"{self.url}/_sandbox/flush?wait_ms={wait_ms}", timeout=65)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def dispute_open(self, payment_intent: str, **fields: Any) -> requests.Response:
        """The cardholder's bank opens a dispute (the raw answer: tests look at refusals too)."""
        body = {"payment_intent": payment_intent, **fields}
        return requests.post(f"{self.url}/_sandbox/disputes", json=body, timeout=5)

    def dispute_close(self, dispute_id: str, outcome: str) -> requests.Response:
        return requests.post(
            f"{self.url}/_sandbox/disputes/{dispute_id}/close", json={"outcome": outcome}, timeout=5
        )

    def refund_settle(self, refund_id: str, **body: Any) -> requests.Response:
        """The bank settles a refund: `status="succeeded" | "failed"` (raw answer)."""
        return requests.post(
            f"{self.url}/_sandbox/refunds/{refund_id}/settle", json=body, timeout=5
        )

    def clock_advance(self, seconds: int) -> dict[str, Any]:
        response = requests.post(
            f"{self.url}/_sandbox/clock/advance", json={"seconds": seconds}, timeout=5
        )
        response.raise_for_status()
        clock: dict[str, Any] = response.json()
        return clock
