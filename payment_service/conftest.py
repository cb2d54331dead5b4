"""Fixtures of every app's tests: the real sandbox as the provider, a fake pledge_service."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from careforall_common.testing.peers import fake_peer, point_at
from defence.tests.helpers import defence_redis
from payments.tests.factories import API_KEY, CLOSED_PORT_URL, TEST_QUEUE, WEBHOOK_SECRET, Sandbox
from payments.tests.fakes import FakePledgeService
from refunds.tests.fakes import FakeUserService

REPO_DIR = Path(__file__).resolve().parents[1]
# Redis databases of the defence's keys in tests: 14 where it stands aside (nothing switches the
# challenge on there), 15 for the tests about it (defence/tests, one run at a time).
DEFENCE_ASIDE_DB = 14


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
    settings.STRIPE_SECRET_KEY = API_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_MAX_NETWORK_RETRIES = 0  # a down provider answers at once
    settings.STRIPE_TIMEOUT = 5.0
    return sandbox_process


@pytest.fixture(autouse=True)
def _defence_aside(settings: Any, monkeypatch: Any) -> None:
    """The card-testing defence stands aside in tests not about it (SPEC §3: PAYMENT_LIMITS off
    for test runs that are not about limits); defence/tests turn it on (``defence``)."""
    settings.PAYMENT_LIMITS = "off"
    settings.CHALLENGE_MODE = "off"
    defence_redis(monkeypatch, settings, DEFENCE_ASIDE_DB)


@pytest.fixture(autouse=True)
def _no_peers(settings: Any) -> None:
    """pledge_service and user_service are not running in these tests: a closed port, unless
    ``pledge_service`` or ``user_service``."""
    point_at(settings, "pledge", CLOSED_PORT_URL)
    point_at(settings, "user", CLOSED_PORT_URL)


@pytest.fixture
def pledge_service(settings: Any) -> Iterator[FakePledgeService]:
    secret = settings.CAREFORALL["INTERNAL_EVENT_SECRET"]
    fake = FakePledgeService(secret=secret)
    with fake_peer(settings, "pledge", peer=fake):
        yield fake


@pytest.fixture
def user_service(settings: Any) -> Iterator[FakeUserService]:
    """user_service's staff check: ``user1@example.org`` (``staff_client``) is active staff."""
    secret = settings.CAREFORALL["INTERNAL_EVENT_SECRET"]
    fake = FakeUserService(secret=secret, staff={"user1@example.org"})
    with fake_peer(settings, "user", peer=fake):
        yield fake


@pytest.fixture
def staff_client(staff_client: Any, user_service: FakeUserService) -> Any:
    """The shared staff client, whose account user_service still says is staff."""
    return staff_client


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
