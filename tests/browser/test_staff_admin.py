"""The staff admin in a real browser (issue 15): the campaign list, a campaign's page and the
dashboard show money as people read it, with the API's figures; screenshots of each are kept
in var/test-artifacts/ (admin-campaign-list.png, admin-campaign-page.png, admin-dashboard.png).
"""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests
from integration.conftest import ROOT, Platform
from integration.support import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    bearer,
    create_campaign,
    get_campaign,
    make_pledge,
    register_donor,
    wait_until,
)
from playwright.sync_api import Page, expect

from browser.conftest import ARTIFACTS

OpenPage = Callable[..., Page]
# A currency no other test of the session uses: the dashboard's row for it is this test's alone.
CURRENCY = "gbp"
CAMPAIGNS = "/admin/campaigns/campaign/"


@pytest.fixture
def campaign(gateway: str, staff_token: str) -> dict[str, Any]:
    """A £50,000.00 campaign with £12.50 captured, £40.00 pending and a £3.00 failure."""
    created = create_campaign(
        gateway,
        staff_token,
        title=f"Books for Khulna {uuid.uuid4().hex[:6]}",
        goal_amount=5_000_000,
        currency=CURRENCY,
    )
    campaign_id = int(str(created["id"]))
    donor = register_donor(gateway)
    for amount, method in ((1_250, "pm_card_visa"), (300, "pm_card_chargeDeclined")):
        pledge = make_pledge(gateway, campaign_id, amount, token=donor.access).json()
        response = requests.post(
            f"{gateway}/api/payments",
            json={"pledge_id": pledge["id"], "payment_method": method},
            headers={"Idempotency-Key": uuid.uuid4().hex, **bearer(donor.access)},
            timeout=30,
        )
        assert response.status_code == 201, response.text
    assert make_pledge(gateway, campaign_id, 4_000).status_code == 201

    def settled() -> bool:
        now = get_campaign(gateway, campaign_id)
        return (now["total_pledges"], now["captured_amount"], now["failed_amount"]) == (
            3,
            1_250,
            300,
        )

    wait_until(settled, timeout=15)
    return get_campaign(gateway, campaign_id)


@pytest.fixture
def reconciled(platform: Platform, campaign: dict[str, Any]) -> bool:
    """One ``manage.py reconcile``, as an operator runs it, for the dashboard (only against a
    platform this session started: its databases are here)."""
    if platform.process is None:
        return False
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "manage.py", "reconcile"],
        cwd=ROOT / "campaign_service",
        env={**os.environ, "DATABASE_PREFIX": platform.database_prefix, "DJANGO_DEBUG": "true"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,  # exit 1 when another test's events are still in flight: recorded too
    )
    return True


def admin_sign_in(page: Page) -> None:
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", ADMIN_EMAIL)
    page.fill("#id_password", ADMIN_PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#staff-dashboard")).to_be_visible()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def no_raw_cents(text: str, *amounts: int) -> None:
    for amount in amounts:
        assert not re.search(rf"(?<![\d,.]){amount}(?![\d,])", text), (amount, text[:400])


def test_the_list_a_campaign_page_and_the_dashboard_in_money_people_read(
    open_page: OpenPage, campaign: dict[str, Any], reconciled: bool
) -> None:
    page = open_page("")
    # Wide enough for every column of the campaign list beside the admin's navigation.
    page.set_viewport_size({"width": 1680, "height": 900})
    admin_sign_in(page)

    # The dashboard: this currency's row of every table, as the API's totals say.
    totals = page.locator(f"#totals tr.currency-{CURRENCY} td")
    expect(totals).to_have_text(
        ["GBP", "1", "3", "£40.00", "£0.00", "£12.50", "£3.00", "£0.00", "£12.50", "1"]
    )
    today = page.locator(f"#donations-today tr.currency-{CURRENCY} td")
    expect(today).to_have_text(
        ["GBP", "3", "£55.50", "1 · £40.00", "0 · £0.00", "1 · £12.50", "0 · £0.00", "1 · £3.00"]
    )
    expect(page.locator("#outboxes tr#outbox-pledge td").nth(0)).to_have_text("pledge_service")
    if reconciled:
        expect(page.locator("#reconciliation")).to_contain_text("campaign(s) checked")
        expect(page.locator("#reconciliation")).to_contain_text("(command)")
    shot(page, "admin-dashboard.png")

    # The list: goal, raised, pending, progress and counts of the campaign's row.
    page.goto(f"{CAMPAIGNS}?currency__exact={CURRENCY}")
    row = page.locator("#result_list tbody tr", has_text=str(campaign["title"]))
    expect(row.locator("td.field-goal")).to_have_text("£50,000.00")
    expect(row.locator("td.field-raised")).to_have_text("£12.50")
    expect(row.locator("td.field-pending")).to_have_text("£40.00")
    expect(row.locator("td.field-progress")).to_have_text("0%")
    expect(row.locator("td.field-total_pledges")).to_have_text("3")
    expect(row.locator("td.field-total_payments")).to_have_text("1")
    no_raw_cents(" ".join(row.locator("td").all_inner_texts()), 5_000_000, 1_250, 4_000)
    shot(page, "admin-campaign-list.png")

    # The campaign's page: the goal typed in pounds, its totals and donations in pounds.
    page.goto(f"{CAMPAIGNS}{campaign['id']}/change/")
    expect(page.locator("#id_goal_amount")).to_have_value("50000.00")
    expect(page.locator(".field-raised .readonly")).to_have_text("£12.50")
    expect(page.locator(".field-failed .readonly")).to_have_text("£3.00")
    history = page.locator("#donation-history tbody tr")
    expect(history).to_have_count(3)
    expect(history.locator("td:nth-child(4)")).to_have_text(["£40.00", "£3.00", "£12.50"])
    pledge_links = history.locator("td:nth-child(1) a")
    expect(pledge_links.first).to_have_attribute("href", re.compile(r"^/admin/pledges/pledges/"))
    payment_links = history.locator("td:nth-child(7) a")  # after the Refunded column
    expect(payment_links).to_have_count(2)  # the guest's pending pledge has no payment yet
    no_raw_cents(page.locator("fieldset.module.aligned").first.inner_text(), 5_000_000, 1_250)
    shot(page, "admin-campaign-page.png")
