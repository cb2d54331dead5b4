from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from careforall_common import signing
from payments.tests.factories import CLOSED_PORT_URL, WEBHOOK_SECRET, Sandbox

TEST_QUEUE = "payment-tests"
REPO_DIR = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session", autouse=True)
def _tasks_to_a_test_queue() -> Iterator[None]:
    """Send the tests' tasks (relay wake-ups, captures) to a queue of their own, emptied after.

    They go through the real broker; a platform running on this machine keeps its queue. The
    tests run the capture and reconciliation functions themselves.
    """
    import redis
    from django.conf import settings

    from config.celery import app

    app.conf.task_default_queue = TEST_QUEUE
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(TEST_QUEUE)
    yield
    client.delete(TEST_QUEUE)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def sandbox_process() -> Iterator[Sandbox]:
    """The real stripe_sandbox, as ``scripts/up`` runs it, on a free port; no webhook URL."""
    port = _free_port()
    environment = {
        **os.environ,
        "SANDBOX_PORT": str(port),
        "SANDBOX_WEBHOOK_URL": "",  # tests that want deliveries set a URL
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "SANDBOX_LOG": "0",
        "SANDBOX_RETRY_BASE_MS": "50",
        "SANDBOX_RETRY_CAP_MS": "500",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "stripe_sandbox"],
        cwd=REPO_DIR,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    box = Sandbox(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 15
        while not box.healthy():
            if process.poll() is not None or time.monotonic() > deadline:
                error = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"stripe_sandbox did not start: {error}")
            time.sleep(0.05)
        yield box
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(autouse=True)
def sandbox(sandbox_process: Sandbox, settings: Any) -> Sandbox:
    """Every test talks to an empty sandbox, through the SDK as configured in production."""
    sandbox_process.reset()
    settings.STRIPE_API_BASE = sandbox_process.url
    settings.STRIPE_SECRET_KEY = "sk_test_careforall"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_MAX_NETWORK_RETRIES = 0  # a down provider answers at once
    settings.STRIPE_TIMEOUT = 5.0
    return sandbox_process


@pytest.fixture(autouse=True)
def _no_pledge_service(settings: Any) -> None:
    """pledge_service is not running in these tests: a closed port, unless ``pledge_service``."""
    _point_at(settings, CLOSED_PORT_URL)


def _point_at(settings: Any, url: str) -> None:
    settings.CAREFORALL = {
        **settings.CAREFORALL,
        "SERVICE_URLS": {**settings.CAREFORALL["SERVICE_URLS"], "pledge": url},
    }


class FakePledgeService:
    """pledge_service's ``GET /internal/pledges/{id}``, as its contract states it.

    Refuses unsigned calls like the real one; ``broken`` makes it answer 500.
    """

    def __init__(self, secret: str) -> None:
        self.pledges: dict[int, dict[str, Any]] = {}
        self.asked = 0
        self.broken = False
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.asked += 1
                signed = signing.verify(
                    self.headers.get(signing.HEADER), self.path.encode(), secret=secret
                )
                pledge_id = self.path.rsplit("/", 1)[-1]
                pledge = fake.pledges.get(int(pledge_id)) if pledge_id.isdigit() else None
                status = 403 if not signed else 500 if fake.broken else 200 if pledge else 404
                body = json.dumps(pledge if status == 200 else {"status": status}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def add(
        self,
        pledge_id: int,
        *,
        user_id: int | None = 2,
        amount: int = 2_500,
        currency: str = "usd",
        status: str = "PENDING",
        campaign_id: int = 7,
        receipt_token: str | None = None,
    ) -> int:
        self.pledges[pledge_id] = {
            "pledge_id": pledge_id,
            "campaign_id": campaign_id,
            "user_id": user_id,
            "amount": amount,
            "currency": currency,
            "status": status,
            "receipt_token_hash": (
                hashlib.sha256(receipt_token.encode()).hexdigest() if receipt_token else None
            ),
        }
        return pledge_id

    def set_status(self, pledge_id: int, status: str) -> None:
        self.pledges[pledge_id]["status"] = status


@pytest.fixture
def pledge_service(settings: Any) -> Iterator[FakePledgeService]:
    fake = FakePledgeService(settings.CAREFORALL["INTERNAL_EVENT_SECRET"])
    thread = threading.Thread(target=fake.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    _point_at(settings, fake.url)
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def donor_pledge(pledge_service: FakePledgeService) -> int:
    """Pledge 41 of user 2 (``donor_client``): 2,500 usd, PENDING."""
    return pledge_service.add(41)


@pytest.fixture
def provider_down(settings: Any) -> None:
    """The provider cannot be reached (connection refused at once)."""
    settings.STRIPE_API_BASE = CLOSED_PORT_URL


@pytest.fixture
def redis_client(settings: Any) -> Any:
    import redis

    return redis.Redis.from_url(settings.REDIS_URL)
