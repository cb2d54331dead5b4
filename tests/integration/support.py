"""Helpers of the end-to-end suite: HTTP only, through the gateway."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import requests

ADMIN_EMAIL = "admin@careforall.local"
ADMIN_PASSWORD = "careforall-admin"
PASSWORD = "correct-horse-battery-staple"


def sign_in(gateway: str, email: str, password: str) -> dict[str, object]:
    for _ in range(30):  # the sign-in rate limit may still be recovering from another test
        response = requests.post(
            f"{gateway}/api/auth/token", json={"email": email, "password": password}, timeout=10
        )
        if response.status_code != 429:
            break
        time.sleep(0.5)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


@dataclass
class Donor:
    id: int
    email: str
    access: str
    refresh: str


def register_donor(gateway: str) -> Donor:
    email = f"donor-{uuid.uuid4().hex[:12]}@example.org"
    for _ in range(30):  # registration is rate-limited per address like sign-in
        response = requests.post(
            f"{gateway}/api/auth/register",
            json={"email": email, "password": PASSWORD, "name": "E2E Donor"},
            timeout=10,
        )
        if response.status_code != 429:
            break
        time.sleep(0.5)
    assert response.status_code == 201, response.text
    tokens = sign_in(gateway, email, PASSWORD)
    return Donor(response.json()["id"], email, str(tokens["access"]), str(tokens["refresh"]))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response: requests.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert {"type", "title", "status", "detail"} <= set(body)
    return body


def create_campaign(gateway: str, staff_token: str, **fields: object) -> dict[str, object]:
    body = {
        "title": f"Campaign {uuid.uuid4().hex[:8]}",
        "description": "End-to-end",
        "goal_amount": 1_000_000,
        "status": "active",
        **fields,
    }
    response = requests.post(
        f"{gateway}/api/campaigns", json=body, headers=bearer(staff_token), timeout=10
    )
    assert response.status_code == 201, response.text
    campaign: dict[str, object] = response.json()
    return campaign


def make_pledge(
    gateway: str,
    campaign_id: int,
    amount: int,
    *,
    token: str | None = None,
    key: str | None = None,
    **fields: object,
) -> requests.Response:
    headers = {"Idempotency-Key": key or uuid.uuid4().hex}
    if token:
        headers.update(bearer(token))
    else:
        fields.setdefault("donor_name", "Guest Donor")
        fields.setdefault("donor_email", f"guest-{uuid.uuid4().hex[:8]}@example.org")
    body = {"campaign_id": campaign_id, "amount": amount, **fields}
    return requests.post(f"{gateway}/api/pledges", json=body, headers=headers, timeout=30)


def get_campaign(gateway: str, campaign_id: int) -> dict[str, object]:
    response = requests.get(f"{gateway}/api/campaigns/{campaign_id}", timeout=10)
    assert response.status_code == 200, response.text
    campaign: dict[str, object] = response.json()
    return campaign


def wait_until(check: object, timeout: float = 10.0, interval: float = 0.05) -> float:
    """Poll ``check()`` until it is true; return the seconds it took (fails after ``timeout``)."""
    assert callable(check)
    started = time.monotonic()
    while True:
        if check():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not true within {timeout} s")
        time.sleep(interval)


def all_pledges(gateway: str, staff_token: str, campaign_id: int) -> list[dict[str, object]]:
    """The truth: every pledge of the campaign, from pledge_service (staff view)."""
    url: str | None = f"{gateway}/api/pledges?campaign_id={campaign_id}&page_size=100"
    pledges: list[dict[str, object]] = []
    while url:
        page = requests.get(url, headers=bearer(staff_token), timeout=10).json()
        pledges += page["results"]
        url = page["next"]
    return pledges


def pledges_with_statuses(
    gateway: str, staff_token: str, campaign_id: int, statuses: list[str], timeout: float = 30
) -> list[dict[str, object]]:
    """The campaign's pledges once their statuses (in any order) are ``statuses``.

    pledge_service takes a payment's events on deliveries of its own, apart from
    campaign_service's totals: a total that shows a payment does not mean its pledge has moved.
    """
    pledges: list[dict[str, object]] = []

    def settled() -> bool:
        pledges[:] = all_pledges(gateway, staff_token, campaign_id)
        return sorted(str(p["status"]) for p in pledges) == sorted(statuses)

    wait_until(settled, timeout=timeout, interval=0.5)
    return pledges


def expected_totals(pledges: list[dict[str, object]]) -> dict[str, int]:
    """The campaign totals the pledges make (SPEC §3): a REFUNDED pledge stays in the captured
    bucket, and what came back is taken off ``current_amount``."""
    totals = {f"{s}_amount": 0 for s in ("pending", "authorized", "captured", "failed")}
    refunded = 0
    for pledge in pledges:
        status = "CAPTURED" if pledge["status"] == "REFUNDED" else str(pledge["status"])
        totals[f"{status.lower()}_amount"] += int(str(pledge["amount"]))
        refunded += int(str(pledge.get("refunded_amount") or 0))
    totals["total_pledges"] = len(pledges)
    totals["current_amount"] = totals["captured_amount"] - refunded
    return totals


def totals_of(campaign: dict[str, object]) -> dict[str, int]:
    names = (
        "pending_amount",
        "authorized_amount",
        "captured_amount",
        "failed_amount",
        "total_pledges",
        "current_amount",
    )
    return {name: int(str(campaign[name])) for name in names}


def local_platform(platform: Any) -> Any:
    if platform.process is None:
        pytest.fail(
            "fault tests need the platform that this suite starts (unset CAREFORALL_E2E_URL)"
        )
    return platform


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(line) for line in out.stdout.split()]


def process_tree(pid: int) -> set[int]:
    found = {pid}
    for child in children(pid):
        found |= process_tree(child)
    return found


def listeners(port: int) -> set[int]:
    out = subprocess.run(
        ["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True, check=False
    )
    return {int(pid) for pid in re.findall(r"pid=(\d+)", out.stdout)}


PORTS_OF = {"web-user": 8001, "web-campaign": 8002, "web-pledge": 8003, "web-payment": 8004}


def service_processes(platform: Any, name: str) -> set[int]:
    """Every process of a supervised child: the pid scripts/up started, its descendants, and for
    a web service whatever listens on its port (gunicorn's workers)."""
    pids = process_tree(platform.pid(name))
    if name in PORTS_OF:
        pids |= listeners(PORTS_OF[name])
    return pids


def signal_processes(pids: set[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def crash(platform: Any, name: str) -> int:
    """SIGKILL every process of ``name`` and wait until they are gone; return the old pid."""
    old = platform.pid(name)
    pids = service_processes(platform, name)
    signal_processes(pids, signal.SIGKILL)

    def gone() -> bool:
        for pid in pids:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                continue
            return False
        return True

    wait_until(gone, timeout=10)
    return old
