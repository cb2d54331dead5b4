"""Refunds through the gateway (SPEC §3, §5.2, §5.3): staff refunds, refunds made at the provider
(its dashboard, here the sandbox through the SDK) with their webhooks duplicated, reordered,
early or lost, a crash between the provider's refund and our commit, and exact totals with
refunds mixed into concurrent donations."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
import stripe

from integration.conftest import Platform
from integration.support import (
    Donor,
    all_pledges,
    bearer,
    crash,
    create_campaign,
    expected_totals,
    get_campaign,
    local_platform,
    make_pledge,
    totals_of,
    wait_until,
)
from integration.test_payments import SANDBOX, chaos, pay, payment, sandbox  # noqa: F401

# Every test leaves the sandbox calm again (its fixture puts the chaos controls back).
pytestmark = pytest.mark.usefixtures("sandbox")

REFUND_EVENTS = ["charge.refunded", "refund.created", "refund.updated"]


def provider() -> stripe.StripeClient:
    """The provider's dashboard, as far as refunds go: its API with the platform's key."""
    return stripe.StripeClient("sk_test_careforall", base_addresses={"api": SANDBOX})


def refund(
    gateway: str, staff_token: str, payment_id: int, *, key: str | None = None, **body: Any
) -> requests.Response:
    headers = {"Idempotency-Key": key or uuid.uuid4().hex, **bearer(staff_token)}
    return requests.post(
        f"{gateway}/api/payments/{payment_id}/refunds", json=body, headers=headers, timeout=30
    )


def captured_payment(gateway: str, donor: Donor, campaign_id: int, amount: int) -> dict[str, Any]:
    """A donation paid with pm_card_visa and captured; its payment."""
    pledge = make_pledge(gateway, campaign_id, amount, token=donor.access).json()
    response = pay(gateway, pledge["id"], "pm_card_visa", token=donor.access)
    assert response.status_code == 201, response.text
    payment_id = response.json()["id"]
    wait_until(
        lambda: payment(gateway, payment_id, donor.access)["status"] == "CAPTURED", timeout=20
    )
    return payment(gateway, payment_id, donor.access)


def refunded_at_provider(intent_id: str) -> int:
    return sum(r.amount for r in provider().v1.refunds.list({"payment_intent": intent_id}).data)


def campaign_refunded(gateway: str, campaign_id: int) -> int:
    return int(str(get_campaign(gateway, campaign_id)["refunded_amount"]))


def assert_quiet_and_exact(gateway: str, staff_token: str, campaign_id: int, refunded: int) -> None:
    """Once the pipeline is quiet, the campaign's totals are those of its pledges (SPEC §5.2)."""

    def settled() -> bool:  # every payment captured or failed, every refund at pledge_service
        pledges = all_pledges(gateway, staff_token, campaign_id)
        return sum(int(str(p["refunded_amount"])) for p in pledges) == refunded and all(
            p["status"] in ("CAPTURED", "REFUNDED", "FAILED") for p in pledges
        )

    wait_until(settled, timeout=30, interval=0.25)
    expected = expected_totals(all_pledges(gateway, staff_token, campaign_id))
    wait_until(
        lambda: (
            totals_of(get_campaign(gateway, campaign_id)) == expected
            and campaign_refunded(gateway, campaign_id) == refunded
        ),
        timeout=30,
        interval=0.25,
    )
    time.sleep(2)  # and it stays exact: nothing arrives twice later
    assert totals_of(get_campaign(gateway, campaign_id)) == expected
    assert campaign_refunded(gateway, campaign_id) == refunded


def test_full_and_partial_refunds_agree_at_the_provider_and_in_every_service(
    gateway: str, staff_token: str, donor: Donor
) -> None:
    campaign_id = int(str(create_campaign(gateway, staff_token)["id"]))
    partly = captured_payment(gateway, donor, campaign_id, 4_000)
    wholly = captured_payment(gateway, donor, campaign_id, 1_500)

    assert refund(gateway, staff_token, partly["id"], amount=1_000).status_code == 201
    whole = refund(gateway, staff_token, wholly["id"], reason="duplicate")
    assert whole.status_code == 201, whole.text
    assert (whole.json()["amount"], whole.json()["status"]) == (1_500, "succeeded")

    assert_quiet_and_exact(gateway, staff_token, campaign_id, refunded=2_500)
    campaign = get_campaign(gateway, campaign_id)
    assert (campaign["captured_amount"], campaign["current_amount"]) == (5_500, 3_000)
    assert campaign["total_payments"] == 2
    for made, status, back in ((partly, "CAPTURED", 1_000), (wholly, "REFUNDED", 1_500)):
        now = payment(gateway, made["id"], donor.access)
        assert (now["status"], now["refunded_amount"]) == (status, back)
        assert refunded_at_provider(made["provider_payment_id"]) == back
        pledge = requests.get(
            f"{gateway}/api/pledges/{made['pledge_id']}", headers=bearer(donor.access), timeout=10
        ).json()
        assert (pledge["status"], pledge["refunded_amount"]) == (status, back)
    donations = requests.get(f"{gateway}/api/campaigns/{campaign_id}/donations", timeout=10)
    assert [d["status"] for d in donations.json()["results"]] == ["REFUNDED", "CAPTURED"]
    mine = requests.get(
        f"{gateway}/api/payments/{partly['id']}/refunds", headers=bearer(donor.access), timeout=10
    )
    assert [r["amount"] for r in mine.json()["results"]] == [1_000]


def test_twenty_concurrent_refund_requests_never_refund_more_than_was_captured(
    gateway: str, staff_token: str, donor: Donor
) -> None:
    campaign_id = int(str(create_campaign(gateway, staff_token)["id"]))
    made = captured_payment(gateway, donor, campaign_id, 2_500)

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(
            pool.map(
                lambda _: refund(gateway, staff_token, made["id"], amount=300).status_code,
                range(20),
            )
        )

    assert sorted(answers) == [201] * 8 + [409] * 12
    assert refunded_at_provider(made["provider_payment_id"]) == 2_400
    assert payment(gateway, made["id"], donor.access)["refunded_amount"] == 2_400
    assert_quiet_and_exact(gateway, staff_token, campaign_id, refunded=2_400)


def test_a_dashboard_refund_counts_once_through_duplicated_and_reordered_webhooks(
    gateway: str, staff_token: str, donor: Donor
) -> None:
    campaign_id = int(str(create_campaign(gateway, staff_token)["id"]))
    made = captured_payment(gateway, donor, campaign_id, 3_000)
    chaos(duplicate=2, reorder=True, delay_ms=200)

    provider().v1.refunds.create({"payment_intent": made["provider_payment_id"], "amount": 700})
    provider().v1.refunds.create({"payment_intent": made["provider_payment_id"], "amount": 300})

    assert_quiet_and_exact(gateway, staff_token, campaign_id, refunded=1_000)
    now = payment(gateway, made["id"], donor.access)
    assert (now["status"], now["refunded_amount"]) == ("CAPTURED", 1_000)
    sources = requests.get(
        f"{gateway}/api/payments/{made['id']}/refunds", headers=bearer(staff_token), timeout=10
    ).json()["results"]
    assert sorted((r["amount"], r["source"]) for r in sources) == [
        (300, "provider"),
        (700, "provider"),
    ]


def test_a_refund_reported_before_our_capture_is_recorded_still_counts(
    gateway: str, staff_token: str, donor: Donor
) -> None:
    """The provider captured; its answer to our capture is late (5 s), and the dashboard refunds
    in the meantime: the refund's webhook comes first and brings the payment to CAPTURED."""
    campaign_id = int(str(create_campaign(gateway, staff_token)["id"]))
    pledge = make_pledge(gateway, campaign_id, 2_000, token=donor.access).json()
    chaos(response_delay_ms=5_000)
    threading.Thread(
        target=pay, args=(gateway, pledge["id"], "pm_card_visa"), kwargs={"token": donor.access}
    ).start()

    def captured_at_provider() -> str | None:
        events = requests.get(
            f"{SANDBOX}/_sandbox/events",
            params={"type": "payment_intent.succeeded", "payload": "1"},
            timeout=5,
        ).json()["data"]
        for event in events:
            intent = event["payload"]["data"]["object"]
            if intent.get("metadata", {}).get("pledge_id") == str(pledge["id"]):
                return str(intent["id"])
        return None

    wait_until(lambda: captured_at_provider() is not None, timeout=20, interval=0.1)
    intent_id = captured_at_provider()
    threading.Thread(
        target=provider().v1.refunds.create, args=({"payment_intent": intent_id},)
    ).start()

    assert_quiet_and_exact(gateway, staff_token, campaign_id, refunded=2_000)
    chaos(response_delay_ms=0)
    assert (
        requests.get(
            f"{gateway}/api/pledges/{pledge['id']}", headers=bearer(donor.access), timeout=10
        ).json()["status"]
        == "REFUNDED"
    )


def test_a_lost_refund_webhook_is_found_by_provider_reconciliation(
    gateway: str, staff_token: str, donor: Donor
) -> None:
    campaign_id = int(str(create_campaign(gateway, staff_token)["id"]))
    made = captured_payment(gateway, donor, campaign_id, 1_200)
    chaos(drop_forever=REFUND_EVENTS)

    provider().v1.refunds.create({"payment_intent": made["provider_payment_id"], "amount": 500})

    assert_quiet_and_exact(gateway, staff_token, campaign_id, refunded=500)


def test_payment_service_killed_between_the_providers_refund_and_our_commit_refunds_once(
    platform: Platform, gateway: str, staff_token: str, donor: Donor
) -> None:
    local_platform(platform)
    campaign_id = int(str(create_campaign(gateway, staff_token)["id"]))
    made = captured_payment(gateway, donor, campaign_id, 2_600)
    key = uuid.uuid4().hex
    # Only our retry can finish it: no webhook of the refund arrives.
    chaos(drop_forever=REFUND_EVENTS, response_delay_ms=5_000)
    outcome: dict[str, Any] = {}

    def attempt() -> None:
        try:
            outcome["response"] = refund(gateway, staff_token, made["id"], key=key)
        except requests.RequestException as error:
            outcome["error"] = error

    thread = threading.Thread(target=attempt)
    thread.start()
    wait_until(lambda: refunded_at_provider(made["provider_payment_id"]) == 2_600, timeout=10)
    web = crash(platform, "web-payment")
    thread.join()
    chaos(response_delay_ms=0)
    assert "response" not in outcome or outcome["response"].status_code >= 500
    wait_until(lambda: platform.pid("web-payment") != web, timeout=15)
    for _ in range(40):  # the staff member retries with the same key
        retried = refund(gateway, staff_token, made["id"], key=key)
        if retried.status_code not in (502, 503, 504):
            break
        time.sleep(0.5)

    assert retried.status_code == 201, retried.text
    assert retried.json()["amount"] == 2_600
    assert (
        len(provider().v1.refunds.list({"payment_intent": made["provider_payment_id"]}).data) == 1
    )
    assert payment(gateway, made["id"], donor.access)["status"] == "REFUNDED"
    assert_quiet_and_exact(gateway, staff_token, campaign_id, refunded=2_600)
    again = refund(gateway, staff_token, made["id"], key=key)
    assert (again.status_code, again.headers.get("Idempotent-Replayed")) == (201, "true")


def test_exact_totals_with_refunds_mixed_into_concurrent_donations(
    gateway: str, staff_token: str, donor: Donor
) -> None:
    campaign_id = int(str(create_campaign(gateway, staff_token)["id"]))
    first = [captured_payment(gateway, donor, campaign_id, 1_000 + 50 * i) for i in range(6)]

    def donate(i: int) -> int:
        pledge = make_pledge(gateway, campaign_id, 700 + 10 * i, token=donor.access).json()
        method = "pm_card_chargeDeclined" if i % 5 == 0 else "pm_card_visa"
        return pay(gateway, pledge["id"], method, token=donor.access).status_code

    def refund_one(i: int) -> int:
        made = first[i]
        body = {} if i % 2 == 0 else {"amount": made["amount"] // 3}
        return refund(gateway, staff_token, made["id"], **body).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        donations = [pool.submit(donate, i) for i in range(24)]
        refunds = [pool.submit(refund_one, i) for i in range(6)]
        assert [f.result() for f in donations] == [201] * 24
        assert [f.result() for f in refunds] == [201] * 6

    refunded = sum(m["amount"] if i % 2 == 0 else m["amount"] // 3 for i, m in enumerate(first))
    assert_quiet_and_exact(gateway, staff_token, campaign_id, refunded=refunded)
    campaign = get_campaign(gateway, campaign_id)
    assert campaign["current_amount"] == campaign["captured_amount"] - refunded
    assert min(int(str(campaign[f"{b}_amount"])) for b in ("pending", "authorized", "failed")) >= 0
