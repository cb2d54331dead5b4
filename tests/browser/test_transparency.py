"""Verify my gift on the receipt page, in a real browser (SPEC §3 "Transparency log"): a guest's
receipt link shows "verified" for a real gift, checked in the browser against the signed
checkpoint, and "not verified" when the proof it is served has been tampered with."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import requests
from integration.support import (
    create_campaign,
    get_campaign,
    make_pledge,
    register_donor,
    wait_until,
)
from integration.test_payments import pay
from integration.test_refunds import captured_payment
from playwright.sync_api import Page, Route, expect

from browser.conftest import ARTIFACTS

OpenPage = Callable[..., Page]


def signed(gateway: str, campaign_id: int) -> tuple[int, int] | None:
    response = requests.get(
        f"{gateway}/api/campaigns/{campaign_id}/transparency/checkpoint", timeout=10
    )
    if response.status_code != 200:
        return None
    lines = response.text.split("\n")
    return int(lines[1]), int(lines[3].split()[1])


def test_a_guest_verifies_their_gift_and_a_tampered_proof_is_not_verified(
    open_page: OpenPage, gateway: str, staff_token: str
) -> None:
    campaign = create_campaign(gateway, staff_token, title=f"Clean wells {uuid.uuid4().hex[:6]}")
    campaign_id = int(str(campaign["id"]))
    captured_payment(gateway, register_donor(gateway), campaign_id, 1_200)  # someone else's
    pledge = make_pledge(gateway, campaign_id, 2_000).json()
    token = pledge["receipt_token"]
    made = pay(gateway, pledge["id"], "pm_card_visa", receipt_token=token)
    assert made.status_code == 201, made.text
    payment_id = made.json()["id"]

    def block() -> Any:
        response = requests.get(
            f"{gateway}/api/payments/{payment_id}", params={"receipt_token": token}, timeout=10
        )
        return response.json().get("transparency")

    wait_until(lambda: block() is not None, timeout=30, interval=0.25)
    current = lambda: int(str(get_campaign(gateway, campaign_id)["current_amount"]))  # noqa: E731
    wait_until(lambda: signed(gateway, campaign_id) == (2, current()), timeout=30, interval=0.25)

    page = open_page(
        f"/#/receipt/{pledge['id']}?token={quote(token, safe='')}&payment={payment_id}"
    )
    expect(page.get_by_test_id("verify-index")).to_have_text(f"#{block()['index']}")
    page.get_by_role("button", name="Verify my gift").click()
    result = page.get_by_test_id("verify-result")
    expect(result).to_contain_text("Verified", timeout=15_000)
    for name in ("signature", "entry", "commitment", "inclusion", "total"):
        expect(page.locator(f'[data-check="{name}"]')).to_have_attribute("data-ok", "true")
    page.screenshot(path=str(ARTIFACTS / "transparency-verified.png"), full_page=True)

    def tampered(route: Route) -> None:
        answer = route.fetch()
        proof = answer.json()
        proof["path"][0]["sum"] += 1  # a sibling's sum changed: the root cannot be reached
        route.fulfill(response=answer, body=json.dumps(proof))

    page.route("**/transparency/proof?**", tampered)
    page.get_by_role("button", name="Check again").click()
    expect(result).to_contain_text("Not verified", timeout=15_000)
    expect(page.locator('[data-check="inclusion"]')).to_have_attribute("data-ok", "false")
    expect(page.locator('[data-check="signature"]')).to_have_attribute("data-ok", "true")
    page.screenshot(path=str(ARTIFACTS / "transparency-not-verified.png"), full_page=True)
