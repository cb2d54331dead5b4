"""End-to-end suite: starts the platform with scripts/up and speaks only HTTP to the gateway.

Set CAREFORALL_E2E_URL to run against a platform that is already up instead.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import MySQLdb
import pytest
import requests

from integration.support import ADMIN_EMAIL, ADMIN_PASSWORD, Donor, register_donor, sign_in

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "careforall_e2e_"
PORTS = (8001, 8002, 8003, 8004, 5555, 12111, 8080, 1025)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def drop_e2e_databases() -> None:
    conn = MySQLdb.connect(host="127.0.0.1", port=3306, user="root", password="")
    cursor = conn.cursor()
    for service in ("user", "campaign", "pledge", "payment"):
        cursor.execute(f"DROP DATABASE IF EXISTS `{PREFIX}{service}`")
    conn.close()


@dataclass
class Platform:
    url: str
    process: subprocess.Popen[str] | None
    output: list[str]
    var: Path = ROOT / "var" / "e2e"
    database_prefix: str = PREFIX

    @property
    def traces(self) -> Path:
        """Where every process of this platform appends its spans (one JSON object a line)."""
        return self.var / "traces"

    @property
    def mail(self) -> Path:
        """Where the mail sink of scripts/up keeps each message it received (one .eml each)."""
        return self.var / "mail"

    def pid(self, name: str) -> int:
        """The pid of a supervised child of scripts/up (web-campaign, worker-pledge, …)."""
        return int((self.var / "run" / f"{name}.pid").read_text())


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "own_platform: starts platforms of its own on the ports")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that start platforms of their own run first, before the shared one is started."""
    items.sort(key=lambda item: item.get_closest_marker("own_platform") is None)


@pytest.fixture(scope="session")
def platform() -> Iterator[Platform]:
    if os.environ.get("CAREFORALL_E2E_URL"):
        yield Platform(os.environ["CAREFORALL_E2E_URL"], None, [])
        return
    busy = [port for port in PORTS if port_open(port)]
    assert not busy, f"ports {busy} are in use: stop the running platform first"
    drop_e2e_databases()
    shutil.rmtree(ROOT / "var" / "e2e" / "traces", ignore_errors=True)
    shutil.rmtree(ROOT / "var" / "e2e" / "mail", ignore_errors=True)  # this run's mail only
    env = {
        **os.environ,
        "DATABASE_PREFIX": PREFIX,
        "CAREFORALL_VAR": str(ROOT / "var" / "e2e"),
        # Provider reconciliation looks early and often here, so the lost-webhook test is short.
        "PAYMENT_RECONCILE_AFTER_SECONDS": "3",
        "PAYMENT_RECONCILE_EVERY_SECONDS": "1",
        # A card form left unconfirmed is abandoned after 20 s here (1 h by default).
        "PAYMENT_ABANDON_AFTER_SECONDS": "20",
        # The refund sweep (lost refund webhooks, refunds whose request died) runs every 2 s
        # here, every 5 min by default.
        "REFUND_RECONCILE_EVERY_SECONDS": "2",
        "REFUND_RETRY_AFTER_SECONDS": "3",
        # Admin sessions recheck their account often here, so the demotion test is short.
        "ADMIN_STAFF_RECHECK_SECONDS": "2",
        # Traces on, into files: each process appends its spans to
        # var/e2e/traces/<service>-<pid>.jsonl within 200 ms (test_observability.py).
        "OTEL_TRACES_EXPORTER": "console",
        "CAREFORALL_TRACES_DIR": str(ROOT / "var" / "e2e" / "traces"),
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        # A killed sender's email is free again after 20 s here (120 s by default).
        "NOTICE_LEASE_SECONDS": "20",
        # The card-testing defence is off for the tests of everything else (SPEC §3); the
        # attack test starts a platform of its own with the defaults.
        "PAYMENT_LIMITS": "off",
        "CHALLENGE_MODE": "off",
        "MIN_GUEST_AMOUNT": "1",
        # Recurring gifts on a compressed clock (docs/recurring.md): a schedule day lasts 1 s, so
        # a month is 30 s and the dunning retries come 1, 3 and 7 s after a decline; beat looks
        # for due plans every second. A period is skipped only when 20 s late (7 s by default at
        # this clock), so that the crash tests' restarts do not skip periods they count.
        "RECURRING_DAY_SECONDS": "1",
        "RECURRING_SWEEP_SECONDS": "1",
        "RECURRING_RETRY_DAYS": "1,3,7",
        "RECURRING_SKIP_AFTER_DAYS": "20",
    }
    process = subprocess.Popen(
        [str(ROOT / "scripts" / "up")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if line.startswith("ready "):
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + 300
    while not ready.is_set() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    if not ready.is_set():
        process.kill()
        pytest.fail("scripts/up did not become ready:\n" + "".join(output[-60:]))
    platform = Platform("http://localhost:8080", process, output)
    yield platform

    # Ctrl-C stops every child cleanly (SPEC §6).
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 0, "".join(output[-40:])
    time.sleep(0.5)
    still_open = [port for port in PORTS if port_open(port)]
    assert not still_open, f"ports {still_open} still answer after Ctrl-C"


@pytest.fixture(scope="session")
def gateway(platform: Platform) -> str:
    return platform.url


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture(scope="session")
def staff_token(gateway: str) -> str:
    return str(sign_in(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)["access"])


@pytest.fixture
def donor(gateway: str) -> Donor:
    return register_donor(gateway)
