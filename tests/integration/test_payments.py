"""Payments through the gateway (SPEC §3, §5.3, §5.5, §5.6, §5.8), with the real Stripe SDK
talking to the sandbox, and the sandbox's signed webhooks coming back through the gateway."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from integration.conftest import Platform
from integration.support import (
    Donor,
    assert_problem,
    bearer,
    crash,
    create_campaign,
    get_campaign,
    local_platform,
    make_pledge,
    totals_of,
    wait_until,
)

SANDBOX = "http://127.0.0.1:12111"
WEBHOOK_SECRET = "whsec_careforall_local"


@pytest.fixture
def sandbox() -> Iterator[str]:
    """The sandbox's chaos controls, put back to calm after each test."""
    yield SANDBOX
    requests.post(
        f"{SANDBOX}/_sandbox/config",
        json={
            "duplicate": 0,
            "reorder": False,
            "delay_ms": 0,
            "drop_first": 0,
            "drop_forever": False,
            "response_delay_ms": 0,
        },
        timeout=5,
    ).raise_for_status()


def chaos(**config: Any) -> None:
    requests.post(f"{SANDBOX}/_sandbox/config", json=config, timeout=5).raise_for_status()


def pay(
    gateway: str,
    pledge_id: int,
    method: str,
    *,
    token: str | None = None,
    receipt_token: str | None = None,
    key: str | None = None,
    timeout: float = 30,
) -> requests.Response:
    body: dict[str, Any] = {"pledge_id": pledge_id, "payment_method": method}
    headers = {"Idempotency-Key": key or uuid.uuid4().hex}
    if token:
        headers.update(bearer(token))
    if receipt_token:
        body["receipt_token"] = receipt_token
    return requests.post(f"{gateway}/api/payments", json=body, headers=headers, timeout=timeout)


def payment(gateway: str, payment_id: int, token: str) -> dict[str, Any]:
    response = requests.get(
        f"{gateway}/api/payments/{payment_id}", headers=bearer(token), timeout=10
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def pledge_status(gateway: str, pledge_id: int, token: str) -> str:
    response = requests.get(f"{gateway}/api/pledges/{pledge_id}", headers=bearer(token), timeout=10)
    return str(response.json()["status"])


def provider_intents(**metadata: int) -> list[dict[str, Any]]:
    """The sandbox's events about intents whose metadata match (e.g. ``pledge_id=7``)."""
    events = requests.get(f"{SANDBOX}/_sandbox/events", params={"payload": "1"}, timeout=10).json()[
        "data"
    ]
    wanted = {name: str(value) for name, value in metadata.items()}
    found = []
    for event in events:
        intent = event["payload"]["data"]["object"]
        if intent.get("object") != "payment_intent":
            continue
        if all(intent.get("metadata", {}).get(k) == v for k, v in wanted.items()):
            found.append({"type": event["type"], "intent": intent["id"]})
    return found


def authorized_at_provider(pledge_id: int) -> bool:
    return any(
        e["type"] == "payment_intent.amount_capturable_updated"
        for e in provider_intents(pledge_id=pledge_id)
    )


def kill_while_the_provider_answers(
    platform: Platform, gateway: str, pledge_id: int, token: str, key: str
) -> dict[str, Any]:
    """Pay; once the provider has authorized, and before its answer reaches payment_service,
    kill payment_service (SIGKILL, workers and master). Return what the client got."""
    chaos(response_delay_ms=5000)
    outcome: dict[str, Any] = {}

    def attempt() -> None:
        try:
            outcome["response"] = pay(gateway, pledge_id, "pm_card_visa", token=token, key=key)
        except requests.RequestException as error:
            outcome["error"] = error

    thread = threading.Thread(target=attempt)
    thread.start()
    wait_until(lambda: authorized_at_provider(pledge_id), timeout=10)
    web = crash(platform, "web-payment")
    thread.join()
    chaos(response_delay_ms=0)
    wait_until(lambda: platform.pid("web-payment") != web, timeout=15)
    wait_until(
        lambda: requests.get(f"{gateway}/api/health/payment", timeout=5).status_code == 200,
        timeout=30,
        interval=0.2,
    )
    return outcome


def test_journey_visa_is_captured_and_in_the_totals_within_a_second(
    gateway: str, staff_token: str, donor: Donor, sandbox: str
) -> None:
    campaign_id = int(str(create_campaign(gateway, staff_token)["id"]))
    pledge = make_pledge(gateway, campaign_id, 4200, token=donor.access).json()
    wait_until(lambda: get_campaign(gateway, campaign_id)["pending_amount"] == 4200)

    started = time.monotonic()
    response = pay(gateway, pledge["id"], "pm_card_visa", token=donor.access)
    assert response.status_code == 201, response.text
    waited = wait_until(
        lambda: get_campaign(gateway, campaign_id)["captured_amount"] == 4200, timeout=10
    )
    elapsed = time.monotonic() - started

    campaign = get_campaign(gateway, campaign_id)
    assert campaign["captured_amount"] == campaign["current_amount"] == 4200
    assert campaign["total_payments"] == 1
    assert campaign["pending_amount"] == 0
    assert payment(gateway, response.json()["id"], donor.access)["status"] == "CAPTURED"
    assert pledge_status(gateway, pledge["id"], donor.access) == "CAPTURED"
    assert elapsed < 1.0, f"captured payment visible after {elapsed:.3f} s (poll {waited:.3f} s)"


def test_declined_card_fails_once_and_a_new_pledge_can_be_paid(
    gateway: str, staff_token: str, donor: Donor, sandbox: str
) -> None:
    campaign_id = int(str(create_campaign(gateway, staff_token)["id"]))
    pledge = make_pledge(gateway, campaign_id, 1500, token=donor.access).json()

    declined = pay(gateway, pledge["id"], "pm_card_chargeDeclined", token=donor.access)
    again = pay(gateway, pledge["id"], "pm_card_visa", token=donor.access)

    assert declined.status_code == 201
    assert declined.json()["status"] == "FAILED"
    assert declined.json()["failure_reason"]
    problem = assert_problem(again, 409)
    assert problem["payment_id"] == declined.json()["id"]
    wait_until(lambda: get_campaign(gateway, campaign_id)["failed_amount"] == 1500)
    assert pledge_status(gateway, pledge["id"], donor.access) == "FAILED"

    second = make_pledge(gateway, campaign_id, 900, token=donor.access).json()
    assert pay(gateway, second["id"], "pm_card_visa", token=donor.access).status_code == 201
    wait_until(lambda: get_campaign(gateway, campaign_id)["captured_amount"] == 900)
    time.sleep(1)
    campaign = get_campaign(gateway, campaign_id)
    assert (campaign["failed_amount"], campaign["captured_amount"]) == (1500, 900)
    assert campaign["total_payments"] == 1


def test_guest_pays_with_the_receipt_token(gateway: str, staff_token: str, sandbox: str) -> None:
    campaign_id = int(str(create_campaign(gateway, staff_token)["id"]))
    pledge = make_pledge(gateway, campaign_id, 2000).json()

    wrong = pay(gateway, pledge["id"], "pm_card_visa", receipt_token="not-the-token")
    right = pay(gateway, pledge["id"], "pm_card_visa", receipt_token=pledge["receipt_token"])

    assert_problem(wrong, 404)
    assert right.status_code == 201
    wait_until(lambda: get_campaign(gateway, campaign_id)["captured_amount"] == 2000)


def signed(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def test_unsigned_wrong_and_stale_webhooks_change_nothing(
    gateway: str, staff_token: str, donor: Donor, sandbox: str
) -> None:
    campaign_id = int(str(create_campaign(gateway, staff_token)["id"]))
    pledge = make_pledge(gateway, campaign_id, 700, token=donor.access).json()
    chaos(drop_forever=True)  # no real webhook: only ours could move it
    created = pay(gateway, pledge["id"], "pm_card_visa", token=donor.access).json()
    intent_id = created["provider_payment_id"]
    forged = json.dumps(
        {
            "id": f"evt_{uuid.uuid4().hex}",
            "object": "event",
            "type": "payment_intent.payment_failed",
            "created": int(time.time()),
            "data": {
                "object": {
                    "id": intent_id,
                    "object": "payment_intent",
                    "status": "requires_payment_method",
                    "metadata": {"payment_id": str(created["id"])},
                }
            },
        }
    ).encode()
    url = f"{gateway}/api/payments/webhook"
    headers = {"Content-Type": "application/json"}

    unsigned = requests.post(url, data=forged, headers=headers, timeout=10)
    wrong = requests.post(
        url,
        data=forged,
        timeout=10,
        headers={**headers, "Stripe-Signature": signed(forged, "whsec_not_ours")},
    )
    stale = requests.post(
        url,
        data=forged,
        timeout=10,
        headers={
            **headers,
            "Stripe-Signature": signed(forged, WEBHOOK_SECRET, int(time.time()) - 301),
        },
    )

    for response in (unsigned, wrong, stale):
        assert_problem(response, 400)
    wait_until(lambda: payment(gateway, created["id"], donor.access)["status"] == "CAPTURED")
    campaign = get_campaign(gateway, campaign_id)
    assert campaign["failed_amount"] == 0


def test_webhooks_tripled_shuffled_and_late_count_each_payment_once(
    gateway: str, staff_token: str, donor: Donor, sandbox: str
) -> None:
    chaos(duplicate=2, reorder=True, delay_ms=300, drop_first=1)
    campaign_id = int(str(create_campaign(gateway, staff_token)["id"]))
    amounts = [300 + 10 * i for i in range(8)]
    pledges = [make_pledge(gateway, campaign_id, a, token=donor.access).json() for a in amounts]
    methods = ["pm_card_visa"] * 6 + ["pm_card_chargeDeclined"] * 2
    for pledge, method in zip(pledges, methods, strict=True):
        assert pay(gateway, pledge["id"], method, token=donor.access).status_code == 201

    captured, failed = sum(amounts[:6]), sum(amounts[6:])
    wait_until(
        lambda: (
            (
                get_campaign(gateway, campaign_id)["captured_amount"],
                get_campaign(gateway, campaign_id)["failed_amount"],
            )
            == (captured, failed)
        ),
        timeout=30,
        interval=0.2,
    )
    time.sleep(4)  # every late copy has arrived by now (300 ms delay, retries from 200 ms)
    campaign = get_campaign(gateway, campaign_id)
    assert totals_of(campaign) == {
        "pending_amount": 0,
        "authorized_amount": 0,
        "captured_amount": captured,
        "failed_amount": failed,
        "total_pledges": 8,
        "current_amount": captured,
    }
    assert campaign["total_payments"] == 6


def test_payment_service_killed_after_the_provider_call_charges_once(
    platform: Platform, gateway: str, staff_token: str, donor: Donor, sandbox: str
) -> None:
    local_platform(platform)
    campaign_id = int(str(create_campaign(gateway, staff_token)["id"]))
    pledge = make_pledge(gateway, campaign_id, 5100, token=donor.access).json()
    key = uuid.uuid4().hex

    first = kill_while_the_provider_answers(platform, gateway, pledge["id"], donor.access, key)

    assert "response" not in first or first["response"].status_code >= 500
    # The donor's client retries with the same key (a first try may meet the restart).
    for _ in range(20):
        retried = pay(gateway, pledge["id"], "pm_card_visa", token=donor.access, key=key)
        if retried.status_code not in (502, 503, 504):
            break
        time.sleep(0.5)

    assert retried.status_code == 201, retried.text
    payment_id = retried.json()["id"]
    wait_until(lambda: get_campaign(gateway, campaign_id)["captured_amount"] == 5100, timeout=30)
    assert payment(gateway, payment_id, donor.access)["status"] == "CAPTURED"
    assert len({e["intent"] for e in provider_intents(payment_id=payment_id)}) == 1
    time.sleep(2)
    assert get_campaign(gateway, campaign_id)["total_payments"] == 1


def test_a_lost_webhook_and_a_lost_answer_are_recovered_by_reconciliation(
    platform: Platform, gateway: str, staff_token: str, donor: Donor, sandbox: str
) -> None:
    """The provider authorized, our process died before recording it, and every webhook is lost:
    only the reconciliation task can find out, and it brings the payment to CAPTURED."""
    local_platform(platform)
    campaign_id = int(str(create_campaign(gateway, staff_token)["id"]))
    pledge = make_pledge(gateway, campaign_id, 3300, token=donor.access).json()
    chaos(drop_forever=True)

    kill_while_the_provider_answers(platform, gateway, pledge["id"], donor.access, uuid.uuid4().hex)

    wait_until(
        lambda: get_campaign(gateway, campaign_id)["captured_amount"] == 3300,
        timeout=60,
        interval=0.5,
    )
    assert pledge_status(gateway, pledge["id"], donor.access) == "CAPTURED"
    assert get_campaign(gateway, campaign_id)["total_payments"] == 1
