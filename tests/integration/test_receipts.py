"""Receipt emails through the whole platform (SPEC §3 "Receipts", §5.10): one per captured
payment, none for a declined one, one notice per refund, also while pledge_service's worker is
killed mid-run; each read back from the mail sink of scripts/up (var/e2e/mail/)."""

from __future__ import annotations

import re
import threading
import time
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import requests

from integration.conftest import Platform
from integration.support import (
    Donor,
    bearer,
    crash,
    create_campaign,
    local_platform,
    make_pledge,
    wait_until,
)
from integration.test_payments import pay, payment

LINK = re.compile(r"http://localhost:8080/#/receipt/(\d+)\?token=([\w-]+)&payment=(\d+)")


def messages(mail: Path) -> list[EmailMessage]:
    """Every message the sink kept in this run (files appear whole: written aside, renamed)."""
    found = []
    for path in sorted(mail.glob("*.eml")):
        found.append(message_from_bytes(path.read_bytes(), policy=policy.default))
    return found  # type: ignore[return-value]


def receipts_of(mail: Path, payment_ids: set[int]) -> dict[int, int]:
    """How many receipts the sink holds for each of ``payment_ids``."""
    counts = dict.fromkeys(payment_ids, 0)
    for message in messages(mail):
        match = re.fullmatch(r"<receipt-(\d+)@[^>]+>", str(message["Message-ID"]))
        if match and int(match[1]) in counts:
            counts[int(match[1])] += 1
    return counts


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())  # type: ignore[attr-defined]


def settled(gateway: str, payment_id: int, token: str | None, receipt: str | None) -> str:
    params = {"receipt_token": receipt} if receipt else {}
    headers = bearer(token) if token else {}
    response = requests.get(
        f"{gateway}/api/payments/{payment_id}", params=params, headers=headers, timeout=10
    )
    assert response.status_code == 200, response.text
    return str(response.json()["status"])


def test_one_receipt_per_captured_payment_with_the_worker_killed_twice(
    gateway: str, staff_token: str, donor: Donor, platform: Platform
) -> None:
    platform = local_platform(platform)
    campaign_id = int(str(create_campaign(gateway, staff_token)["id"]))
    outcomes: list[tuple[int, str, str | None, str | None, str]] = []
    errors: list[BaseException] = []

    def donate(number: int) -> None:
        declined = number % 5 == 4
        method = "pm_card_chargeDeclined" if declined else "pm_card_visa"
        guest = number % 2 == 0
        token = None if guest else donor.access
        email = f"guest-{uuid.uuid4().hex[:8]}@example.org" if guest else ""
        fields = {"donor_email": email} if guest else {}
        pledge = make_pledge(gateway, campaign_id, 1_000 + number, token=token, **fields).json()
        receipt = pledge.get("receipt_token")
        response = pay(gateway, pledge["id"], method, token=token, receipt_token=receipt)
        assert response.status_code == 201, response.text
        status = "FAILED" if declined else "CAPTURED"
        outcomes.append((response.json()["id"], email, token, receipt, status))

    def donations() -> None:
        try:
            for number in range(15):
                donate(number)
                time.sleep(0.2)
        except BaseException as error:
            errors.append(error)

    runner = threading.Thread(target=donations)
    runner.start()
    kills = 0
    for _ in range(2):  # SIGKILL the worker that sends the emails, twice while donations flow
        time.sleep(1.2)
        old = crash(platform, "worker-pledge")
        kills += 1
        wait_until(lambda old=old: platform.pid("worker-pledge") != old, timeout=10)
    runner.join(timeout=120)
    assert not errors, errors
    assert kills == 2
    assert len(outcomes) == 15

    for payment_id, _, token, receipt, status in outcomes:
        wait_until(
            lambda p=payment_id, t=token, r=receipt, s=status: settled(gateway, p, t, r) == s,
            timeout=30,
        )
    captured = {p for p, *_, status in outcomes if status == "CAPTURED"}
    declined = {p for p, *_, status in outcomes if status == "FAILED"}
    assert (len(captured), len(declined)) == (12, 3)

    # A killed sender's claim ends after NOTICE_LEASE_SECONDS (20 s here), so allow for that.
    wait_until(lambda: set(receipts_of(platform.mail, captured).values()) == {1}, timeout=60)
    time.sleep(3)  # and nothing arrives twice later
    assert receipts_of(platform.mail, captured) == dict.fromkeys(captured, 1)
    assert receipts_of(platform.mail, declined) == dict.fromkeys(declined, 0)
    by_id = {str(m["Message-ID"]): m for m in messages(platform.mail)}
    for payment_id, guest_email, *_, status in outcomes:
        if status == "CAPTURED":
            message = by_id[f"<receipt-{payment_id}@careforall.local>"]
            assert message["X-Envelope-To"] == (guest_email or donor.email)
            assert "Visa ending in 4242" in text_of(message)


def test_a_refund_sends_one_refund_notice(
    gateway: str, staff_token: str, donor: Donor, platform: Platform
) -> None:
    campaign_id = int(str(create_campaign(gateway, staff_token, title="Clean water")["id"]))
    pledge = make_pledge(gateway, campaign_id, 4_000, token=donor.access).json()
    paid = pay(gateway, pledge["id"], "pm_card_visa", token=donor.access).json()
    wait_until(lambda: payment(gateway, paid["id"], donor.access)["status"] == "CAPTURED", 20)

    key = uuid.uuid4().hex
    headers = {"Idempotency-Key": key, **bearer(staff_token)}
    url = f"{gateway}/api/payments/{paid['id']}/refunds"
    first = requests.post(url, json={"amount": 1_500}, headers=headers, timeout=30)
    again = requests.post(url, json={"amount": 1_500}, headers=headers, timeout=30)
    assert first.status_code == 201, first.text
    assert again.json()["id"] == first.json()["id"]
    refund_id = first.json()["id"]

    def notices() -> list[EmailMessage]:
        return [
            m
            for m in messages(platform.mail)
            if str(m["Message-ID"]).startswith(f"<refund-{refund_id}@")
        ]

    wait_until(lambda: len(notices()) == 1, timeout=30)
    time.sleep(2)
    (notice,) = notices()
    assert notice["X-Envelope-To"] == donor.email
    text = text_of(notice)
    assert "Refunded now:        $15.00" in text
    assert "Refunded in total:   $15.00 of $40.00" in text
    assert "Clean water" in text
    assert receipts_of(platform.mail, {paid["id"]}) == {paid["id"]: 1}


def test_a_guests_receipt_link_opens_the_pledge_through_the_gateway(
    gateway: str, staff_token: str, platform: Platform
) -> None:
    campaign_id = int(str(create_campaign(gateway, staff_token)["id"]))
    email = f"guest-{uuid.uuid4().hex[:8]}@example.org"
    pledge = make_pledge(gateway, campaign_id, 2_500, donor_email=email).json()
    paid = pay(gateway, pledge["id"], "pm_card_visa", receipt_token=pledge["receipt_token"])
    assert paid.status_code == 201, paid.text

    def receipt() -> list[EmailMessage]:
        return [m for m in messages(platform.mail) if m["X-Envelope-To"] == email]

    wait_until(lambda: len(receipt()) == 1, timeout=30)
    link = LINK.search(text_of(receipt()[0]))
    assert link is not None
    assert (int(link[1]), link[3]) == (pledge["id"], str(paid.json()["id"]))
    assert link[2] == pledge["receipt_token"]
    opened = requests.get(
        f"{gateway}/api/pledges/{link[1]}", params={"receipt_token": link[2]}, timeout=10
    )
    assert opened.status_code == 200, opened.text
    assert (opened.json()["id"], opened.json()["status"]) == (pledge["id"], "CAPTURED")
    page = requests.get(link[0].split("#", 1)[0], timeout=10)  # the donor site behind it
    assert page.status_code == 200
    assert "text/html" in page.headers["Content-Type"]
