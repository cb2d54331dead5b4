"""Refunds on the donor site and in the payments admin, in a real browser (SPEC §3).

Donations are paid with ``pm_card_visa`` through the API and refunded by staff through the
gateway's API (or the admin's confirmation page); the donor then reads them on the receipt page
and in My donations.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
import requests
from integration.support import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    PASSWORD,
    Donor,
    bearer,
    create_campaign,
    make_pledge,
    register_donor,
    wait_until,
)
from integration.test_payments import pay
from integration.test_refunds import captured_payment, refund
from playwright.sync_api import Page, expect

from browser.conftest import ARTIFACTS

OpenPage = Callable[..., Page]


@pytest.fixture
def campaign(gateway: str, staff_token: str) -> dict[str, Any]:
    return create_campaign(gateway, staff_token, title=f"Warm coats {uuid.uuid4().hex[:6]}")


def pledge_of(gateway: str, donor: Donor, pledge_id: int) -> dict[str, Any]:
    response = requests.get(
        f"{gateway}/api/pledges/{pledge_id}", headers=bearer(donor.access), timeout=10
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def sign_in_on_the_site(page: Page, donor: Donor) -> None:
    page.goto("/#/signin")
    page.get_by_label("Email").fill(donor.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("My donations")


def test_a_refunded_donation_reads_refunded_on_the_receipt_and_in_my_donations(
    open_page: OpenPage, gateway: str, staff_token: str, campaign: dict[str, Any]
) -> None:
    donor = register_donor(gateway)
    wholly = captured_payment(gateway, donor, campaign["id"], 2_500)
    partly = captured_payment(gateway, donor, campaign["id"], 4_000)

    whole = refund(gateway, staff_token, wholly["id"], reason="duplicate")
    part = refund(gateway, staff_token, partly["id"], amount=1_000)
    assert whole.status_code == part.status_code == 201, (whole.text, part.text)
    wait_until(
        lambda: (
            pledge_of(gateway, donor, wholly["pledge_id"])["status"] == "REFUNDED"
            and pledge_of(gateway, donor, partly["pledge_id"])["refunded_amount"] == 1_000
        ),
        timeout=30,
        interval=0.25,
    )

    page = open_page("")
    sign_in_on_the_site(page, donor)
    page.goto(f"/#/receipt/{wholly['pledge_id']}?payment={wholly['id']}")
    receipt = page.get_by_test_id("receipt")
    expect(receipt.locator('[data-status="REFUNDED"]').first).to_have_text("Refunded")
    expect(page.get_by_test_id("payment-status")).to_contain_text("Refunded")
    expect(page.get_by_role("status")).to_contain_text("Refunded")
    refunds = page.get_by_test_id("refunds").get_by_role("listitem")
    expect(refunds).to_have_count(1)
    expect(refunds.first).to_contain_text("$25.00")
    expect(refunds.first).to_contain_text("Refunded")
    page.screenshot(path=str(ARTIFACTS / "refunds-receipt-refunded.png"), full_page=True)

    page.goto(f"/#/receipt/{partly['pledge_id']}?payment={partly['id']}")
    expect(page.get_by_test_id("refunded-amount")).to_have_text("$10.00 refunded")
    expect(page.get_by_test_id("payment-status")).to_contain_text("Paid")
    expect(page.get_by_test_id("refunds").get_by_role("listitem")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "refunds-receipt-partial.png"), full_page=True)

    page.get_by_role("link", name="My donations").click()
    rows = page.get_by_test_id("my-donations")
    whole_row = rows.locator(f'[data-pledge-id="{wholly["pledge_id"]}"]')
    part_row = rows.locator(f'[data-pledge-id="{partly["pledge_id"]}"]')
    expect(whole_row.locator(".badge")).to_have_text("Refunded")
    expect(whole_row).to_contain_text("$25.00")
    expect(part_row.locator(".badge")).to_have_text("Paid")
    expect(part_row.get_by_test_id("refunded-amount")).to_have_text("$10.00 refunded")
    page.screenshot(path=str(ARTIFACTS / "refunds-my-donations.png"), full_page=True)


def test_a_guest_s_receipt_link_shows_the_refund(
    open_page: OpenPage, gateway: str, staff_token: str, campaign: dict[str, Any]
) -> None:
    pledge = make_pledge(gateway, campaign["id"], 1_800).json()
    token = pledge["receipt_token"]
    made = pay(gateway, pledge["id"], "pm_card_visa", receipt_token=token)
    assert made.status_code == 201, made.text
    payment_id = made.json()["id"]

    def guest_reads(path: str) -> dict[str, Any]:
        response = requests.get(f"{gateway}{path}", params={"receipt_token": token}, timeout=10)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    wait_until(lambda: guest_reads(f"/api/payments/{payment_id}")["status"] == "CAPTURED", 20)
    assert refund(gateway, staff_token, payment_id).status_code == 201
    wait_until(
        lambda: guest_reads(f"/api/pledges/{pledge['id']}")["status"] == "REFUNDED",
        timeout=30,
        interval=0.25,
    )

    page = open_page(
        f"/#/receipt/{pledge['id']}?token={quote(token, safe='')}&payment={payment_id}"
    )

    expect(page.get_by_test_id("payment-status")).to_contain_text("Refunded")
    expect(page.get_by_role("status")).to_contain_text("Refunded")
    refunds = page.get_by_test_id("refunds").get_by_role("listitem")
    expect(refunds).to_have_count(1)
    expect(refunds.first).to_contain_text("$18.00")


def test_staff_refund_from_the_payments_admin_and_the_donor_sees_it(
    open_page: OpenPage, gateway: str, campaign: dict[str, Any]
) -> None:
    donor = register_donor(gateway)
    paid = captured_payment(gateway, donor, campaign["id"], 3_000)

    admin = open_page("/admin/payments/login/?next=/admin/payments/")
    admin.fill("#id_username", ADMIN_EMAIL)
    admin.fill("#id_password", ADMIN_PASSWORD)
    admin.get_by_role("button", name="Log in").click()
    admin.goto(f"/admin/payments/payments/payment/{paid['id']}/change/")
    admin.get_by_role("link", name="Refund…").click()
    amount = admin.get_by_label("Amount to refund")
    expect(amount).to_have_value("30.00")
    amount.fill("12.50")
    admin.get_by_label("Reason").fill("requested_by_customer")
    admin.screenshot(path=str(ARTIFACTS / "refunds-admin-confirmation.png"), full_page=True)
    admin.get_by_role("button", name="Refund").click()
    expect(admin.locator(".messagelist")).to_contain_text("Refunded $12.50")
    expect(admin.locator("#refunds-group")).to_contain_text("$12.50")
    expect(admin.locator("#refunds-group")).to_contain_text("Succeeded")
    admin.screenshot(path=str(ARTIFACTS / "refunds-admin-payment.png"), full_page=True)

    wait_until(
        lambda: pledge_of(gateway, donor, paid["pledge_id"])["refunded_amount"] == 1_250,
        timeout=30,
        interval=0.25,
    )
    page = open_page("")
    sign_in_on_the_site(page, donor)
    page.get_by_role("link", name="My donations").click()
    row = page.get_by_test_id("my-donations").locator(f'[data-pledge-id="{paid["pledge_id"]}"]')
    expect(row.get_by_test_id("refunded-amount")).to_have_text("$12.50 refunded")
