"""The stack scripts/containers started: compose and podman commands, and the donations driven
through the published gateway (tests/integration's helpers, against the containers)."""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from integration.support import bearer, make_pledge

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = str(ROOT / ".venv" / "bin" / "docker-compose")
PROJECT = os.environ.get("COMPOSE_PROJECT_NAME", "careforall-containers")
GATEWAY = f"http://127.0.0.1:{os.environ.get('GATEWAY_PORT', '18080')}"
SANDBOX = f"http://127.0.0.1:{os.environ.get('CT_SANDBOX_PORT', '18111')}"
# A request may meet a replica as it dies: the client sends it again with the same key.
RETRIED_STATUSES = {502, 503, 504}


def compose(*args: str, timeout: float = 900) -> str:
    done = subprocess.run(
        [COMPOSE, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"compose {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def podman(*args: str) -> str:
    done = subprocess.run(["podman", *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"podman {' '.join(args)}:\n{done.stderr}"
    return done.stdout


def containers(service: str | None = None, *, running: bool = True) -> list[dict[str, Any]]:
    """The project's containers (of one compose service), from `podman ps --format json`."""
    args = ["ps", "--format", "json", "--filter", f"label=com.docker.compose.project={PROJECT}"]
    if service:
        args += ["--filter", f"label=com.docker.compose.service={service}"]
    if not running:
        args.append("--all")
    found: list[dict[str, Any]] = json.loads(podman(*args) or "[]")
    return found


def address(container: str) -> str:
    networks = json.loads(podman("inspect", container))[0]["NetworkSettings"]["Networks"]
    return str(networks[f"{PROJECT}_default"]["IPAddress"])


def unhealthy() -> list[str]:
    """Names of running containers whose healthcheck has not passed (one-shot jobs excluded)."""
    waiting = []
    for container in containers():
        status = str(container.get("Status", ""))
        if "(" in status and "(healthy)" not in status:
            waiting.append(f"{container['Names'][0]}: {status}")
    return waiting


def failed() -> list[str]:
    """Containers that exited with an error: under podman, `up --wait` can still exit 0."""
    return [
        f"{c['Names'][0]}: {c['Status']}"
        for c in containers(running=False)
        if c.get("Exited") and int(c.get("ExitCode", 0)) != 0
    ]


def gateway_answers() -> bool:
    """Whether the published gateway answers the health route of every service."""
    try:
        return all(
            requests.get(f"{GATEWAY}/api/health/{service}", timeout=5).status_code == 200
            for service in ("user", "campaign", "pledge", "payment")
        )
    except requests.RequestException:
        return False


def reads_answer(campaign: int, staff: str) -> bool:
    """Whether the campaign's public read and the staff's pledge list answer 200 (a service's
    first requests after a start load its views: give them time, once)."""
    try:
        return (
            requests.get(f"{GATEWAY}/api/campaigns/{campaign}", timeout=30).status_code == 200
            and requests.get(
                f"{GATEWAY}/api/pledges?campaign_id={campaign}", headers=bearer(staff), timeout=30
            ).status_code
            == 200
        )
    except requests.RequestException:
        return False


def published_ports() -> str:
    """The published ports and the NAT rules that carry them, for a failure's message."""
    rules = subprocess.run(
        ["iptables", "-t", "nat", "-S"], capture_output=True, text=True, check=False
    ).stdout
    ports = podman("ps", "--all", "--format", "{{.Names}} {{.Status}} {{.Ports}}")
    port = GATEWAY.rsplit(":", 1)[1]
    return ports + "\n".join(line for line in rules.splitlines() if port in line)


def gateway_upstreams(since: float) -> list[str]:
    """The upstream address of each /api/pledges request the gateway logged since ``since``."""
    (gateway,) = containers("gateway")
    logs = podman("logs", "--since", str(int(since)), gateway["Id"])
    found = []
    for line in logs.splitlines():
        if not line.startswith("{"):
            continue
        entry = json.loads(line)
        if entry["uri"].startswith("/api/pledges"):
            found += [u.strip() for u in entry["upstream"].split(",") if u.strip()]
    return found


def send(call: Any, deadline: float = 120) -> requests.Response:
    """Call until the platform answers, not the gateway's 502-504 or a broken connection."""
    started = time.monotonic()
    while True:
        try:
            response: requests.Response = call()
            if response.status_code not in RETRIED_STATUSES:
                return response
        except requests.RequestException:
            pass
        assert time.monotonic() - started < deadline, "no answer within the deadline"
        time.sleep(0.2)


@dataclass
class Donation:
    amount: int
    pledge_id: int = 0
    attempts: list[int] = field(default_factory=list)


def donate(token: str, campaign_id: int, amount: int) -> Donation:
    """A pledge and its card payment, each with one idempotency key however often it is sent."""
    donation = Donation(amount)
    pledge_key, payment_key = uuid.uuid4().hex, uuid.uuid4().hex

    def pledge() -> requests.Response:
        donation.attempts.append(1)
        return make_pledge(GATEWAY, campaign_id, amount, token=token, key=pledge_key)

    response = send(pledge)
    assert response.status_code in (200, 201), response.text
    donation.pledge_id = int(response.json()["id"])

    def pay() -> requests.Response:
        donation.attempts.append(2)
        headers = {"Idempotency-Key": payment_key, **bearer(token)}
        body = {"pledge_id": donation.pledge_id, "payment_method": "pm_card_visa"}
        return requests.post(f"{GATEWAY}/api/payments", json=body, headers=headers, timeout=30)

    response = send(pay)
    assert response.status_code in (200, 201), response.text
    return donation


def charges_by_pledge(pledge_ids: set[int]) -> dict[int, set[str]]:
    """The sandbox's succeeded PaymentIntents of those pledges: one each, or a double charge."""
    events = requests.get(
        f"{SANDBOX}/_sandbox/events",
        params={"type": "payment_intent.succeeded", "payload": "1", "limit": "100000"},
        timeout=30,
    ).json()["data"]
    charged: dict[int, set[str]] = {pledge_id: set() for pledge_id in pledge_ids}
    for event in events:
        intent = event["payload"]["data"]["object"]
        pledge_id = int(intent.get("metadata", {}).get("pledge_id", 0))
        if pledge_id in charged:
            charged[pledge_id].add(str(intent["id"]))
    return charged
