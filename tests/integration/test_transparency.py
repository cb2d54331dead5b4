"""The transparency logs through the gateway (SPEC §3 "Transparency log", §5.13): with refunds
mixed into concurrent donations, every capture and refund is in its campaign's log exactly once,
checkpoints only grow (scripts/verify-campaign as a witness over two of them), and once quiet the
latest checkpoint's total is the campaign's current_amount."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from integration.support import (
    Donor,
    assert_problem,
    bearer,
    crash,
    create_campaign,
    get_campaign,
    local_platform,
    wait_until,
)
from integration.test_refunds import captured_payment, refund

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "verify-campaign"


def log_url(gateway: str, campaign_id: int, rest: str) -> str:
    return f"{gateway}/api/campaigns/{campaign_id}/transparency/{rest}"


def checkpoint(gateway: str, campaign_id: int) -> tuple[int, int] | None:
    """The latest checkpoint's (tree size, total), unverified (the script verifies)."""
    response = requests.get(log_url(gateway, campaign_id, "checkpoint"), timeout=10)
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    lines = response.text.split("\n")
    return int(lines[1]), int(lines[3].split()[1])


def entries(gateway: str, campaign_id: int, size: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for start in range(0, size, 1_000):
        query = {"start": start, "end": min(start + 1_000, size)}
        response = requests.get(log_url(gateway, campaign_id, "entries"), params=query, timeout=10)
        assert response.status_code == 200, response.text
        found += response.json()["entries"]
    return found


def verify(gateway: str, campaign_id: int, state: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # our own script
        [sys.executable, str(SCRIPT), gateway, str(campaign_id), "--state", str(state)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def quiet_and_signed(gateway: str, campaign_id: int, *, entries_expected: int) -> int:
    """Wait for a checkpoint of every entry whose total is the campaign's current_amount."""

    def settled() -> bool:
        signed = checkpoint(gateway, campaign_id)
        current = int(str(get_campaign(gateway, campaign_id)["current_amount"]))
        return signed is not None and signed == (entries_expected, current)

    wait_until(settled, timeout=45, interval=0.5)
    return int(str(get_campaign(gateway, campaign_id)["current_amount"]))


def test_every_gift_and_refund_is_logged_once_and_the_log_verifies(
    gateway: str, staff_token: str, donor: Donor, tmp_path: Path
) -> None:
    campaigns = [int(str(create_campaign(gateway, staff_token)["id"])) for _ in range(2)]
    gifts = [(campaigns[n % 2], 1_000 + 125 * n) for n in range(10)]
    with ThreadPoolExecutor(max_workers=5) as pool:
        paid = list(pool.map(lambda gift: captured_payment(gateway, donor, *gift), gifts))
    # Refunds mixed in: two partial refunds of one payment, a full refund of another, per campaign.
    refunds: dict[int, list[int]] = {}
    for campaign_id in campaigns:
        mine = [p for p in paid if p["campaign_id"] == campaign_id]
        for made, amount in ((mine[0], 300), (mine[0], 200), (mine[1], mine[1]["amount"])):
            answer = refund(gateway, staff_token, made["id"], amount=amount)
            assert answer.status_code == 201, answer.text
            refunds.setdefault(made["id"], []).append(amount)

    for campaign_id in campaigns:
        mine = [p for p in paid if p["campaign_id"] == campaign_id]
        expected = len(mine) + sum(len(refunds.get(p["id"], [])) for p in mine)
        current = quiet_and_signed(gateway, campaign_id, entries_expected=expected)
        logged = entries(gateway, campaign_id, expected)
        assert sum(entry["amount"] for entry in logged) == current
        for made in mine:
            # The donor's receipt gives the salt: its commitment is in the log exactly once.
            block = wait_until_logged(gateway, made["id"], donor)
            assert block["campaign_id"] == campaign_id
            commitment = hashlib.sha256(f"{block['salt']}:{made['id']}".encode()).hexdigest()
            captures = [
                e for e in logged if e["commitment"] == commitment and e["kind"] == "capture"
            ]
            assert [(e["index"], e["amount"]) for e in captures] == [
                (block["index"], made["amount"])
            ]
            back = sorted(
                -e["amount"]
                for e in logged
                if e["kind"] == "refund" and e["refers_to"] == block["index"]
            )
            assert back == sorted(refunds.get(made["id"], []))
            assert all(
                e["commitment"] == commitment for e in logged if e["refers_to"] == block["index"]
            )

    # A witness over two checkpoints: the second must extend the first.
    state = tmp_path / "witness.json"
    first = verify(gateway, campaigns[0], state)
    assert first.returncode == 0, first.stderr
    assert "verified" in first.stdout
    before = checkpoint(gateway, campaigns[0])
    made = captured_payment(gateway, donor, campaigns[0], 777)
    assert refund(gateway, staff_token, made["id"], amount=77).status_code == 201
    assert before is not None
    quiet_and_signed(gateway, campaigns[0], entries_expected=before[0] + 2)
    second = verify(gateway, campaigns[0], state)
    assert second.returncode == 0, second.stderr
    assert f"checkpoint {before[0] + 2} verified" in second.stdout
    for campaign_id in campaigns:  # once quiet, the total is current_amount
        signed = checkpoint(gateway, campaign_id)
        assert signed is not None
        assert signed[1] == int(str(get_campaign(gateway, campaign_id)["current_amount"]))


def wait_until_logged(gateway: str, payment_id: int, donor: Donor) -> dict[str, Any]:
    def block() -> Any:
        response = requests.get(
            f"{gateway}/api/payments/{payment_id}", headers=bearer(donor.access), timeout=10
        )
        return response.json().get("transparency")

    wait_until(lambda: block() is not None, timeout=30, interval=0.25)
    found: dict[str, Any] = block()
    return found


def test_the_read_api_through_the_gateway(gateway: str, staff_token: str, donor: Donor) -> None:
    key = requests.get(f"{gateway}/api/transparency/key", timeout=10)
    assert key.status_code == 200
    assert key.json()["name"] == "localhost:8080/campaigns"
    assert "public" in key.headers["Cache-Control"]
    campaign_id = int(str(create_campaign(gateway, staff_token)["id"]))
    assert_problem(requests.get(log_url(gateway, campaign_id, "checkpoint"), timeout=10), 404)
    made = captured_payment(gateway, donor, campaign_id, 2_500)
    quiet_and_signed(gateway, campaign_id, entries_expected=1)
    signed = requests.get(log_url(gateway, campaign_id, "checkpoint"), timeout=10)
    assert signed.headers["Content-Type"].startswith("text/plain")
    assert signed.headers["Cache-Control"] == "public, max-age=1"
    proof = requests.get(
        log_url(gateway, campaign_id, "proof"), params={"index": 0, "tree_size": 1}, timeout=10
    ).json()
    assert proof["entry"]["amount"] == made["amount"]
    assert proof["path"] == []
    for rest, query in (
        ("entries", {"start": 0, "end": 1_001}),
        ("entries", {"start": 0, "end": 2}),
        ("proof", {"index": 0, "tree_size": 2}),
        ("consistency", {"from": 1, "to": 2}),
    ):
        response = requests.get(log_url(gateway, campaign_id, rest), params=query, timeout=10)
        assert_problem(response, 400)
    # The payment's salt is its donor's alone: staff read the payment without it.
    staff_view = requests.get(
        f"{gateway}/api/payments/{made['id']}", headers=bearer(staff_token), timeout=10
    ).json()
    assert staff_view["transparency"] is None


def test_under_kills_every_capture_and_refund_is_logged_exactly_once(
    platform: Any, gateway: str, staff_token: str, donor: Donor
) -> None:
    """Guarantee 13 under faults: campaign_service's web and worker and payment_service's worker
    SIGKILLed (the process manager restarts them) while donations and refunds go through; once
    quiet, each capture and each refund is in the log once and the total is current_amount."""
    local_platform(platform)
    campaign_id = int(str(create_campaign(gateway, staff_token)["id"]))
    amounts = [500 + 7 * n for n in range(60)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        burst = [pool.submit(captured_payment, gateway, donor, campaign_id, a) for a in amounts]
        time.sleep(1.0)
        for name in ("worker-campaign", "worker-payment", "web-campaign"):
            old = crash(platform, name)
            wait_until(lambda: platform.pid(name) != old, timeout=30)  # noqa: B023
            time.sleep(1.0)
        paid = [future.result() for future in burst]
    refunded = paid[::6]
    for made in refunded:
        answer = refund(gateway, staff_token, made["id"], amount=made["amount"] // 2)
        assert answer.status_code == 201, answer.text
    crash(platform, "worker-campaign")

    expected = len(paid) + len(refunded)
    current = quiet_and_signed(gateway, campaign_id, entries_expected=expected)
    logged = entries(gateway, campaign_id, expected)
    captures = [e for e in logged if e["kind"] == "capture"]
    assert len(captures) == len(paid)
    assert len({e["commitment"] for e in captures}) == len(paid)  # each payment once
    assert sorted(e["amount"] for e in captures) == sorted(p["amount"] for p in paid)
    back = [e for e in logged if e["kind"] == "refund"]
    assert sorted(-e["amount"] for e in back) == sorted(m["amount"] // 2 for m in refunded)
    assert len({e["refers_to"] for e in back}) == len(refunded)
    assert sum(e["amount"] for e in logged) == current
