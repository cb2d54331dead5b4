"""Recurring gifts on the donor site (SPEC §3 "Recurring gifts"): giving monthly through the
provider's Payment Element, then pausing, resuming, changing the amount, replacing the card (a
SetupIntent in the Payment Element) and canceling, each through its confirmation — as a
signed-in donor and as a guest through the link of the "plan set up" email — and 3-D Secure
completed for an installment the bank declined off-session, from the emailed link.

The platform's schedule runs on the end-to-end suite's compressed clock (a month is 30 s).
"""

from __future__ import annotations

import re
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import MySQLdb
import pytest
import requests
from integration.conftest import Platform
from integration.support import (
    PASSWORD,
    bearer,
    create_campaign,
    register_donor,
    service_processes,
    signal_processes,
    wait_until,
)
from integration.test_receipts import messages, text_of
from integration.test_recurring import plan_get, plan_pledges, plan_post
from playwright.sync_api import Page, expect

from browser.cards import PAID_TIMEOUT, answer_challenge, pay_with_card, type_card

OpenPage = Callable[..., Page]
VISA = "4242 4242 4242 4242"
MASTERCARD = "5555 5555 5555 4444"
AUTHENTICATION_ALWAYS = "4000 0027 6000 3184"  # off-session: authentication_required
MANAGE_LINK = re.compile(r"http://localhost:8080(/#/recurring/(\d+)\?manage_token=[^\s\"<]+)")
AUTHENTICATE_LINK = re.compile(
    r"http://localhost:8080(/#/recurring/(\d+)/installments/(\d+)/authenticate[^\s\"<]*)"
)


@pytest.fixture
def campaign(gateway: str, staff_token: str) -> dict[str, Any]:
    return create_campaign(gateway, staff_token, title=f"Monthly meals {uuid.uuid4().hex[:6]}")


@pytest.fixture
def plans_to_stop(gateway: str, staff_token: str) -> Iterator[list[int]]:
    """Plans a test made: canceled after it, so none charges on into later tests."""
    made: list[int] = []
    yield made
    for plan_id in made:
        plan_post(gateway, plan_id, "cancel", token=staff_token)


def mail_to(platform: Platform, email: str, kind: str) -> list[str]:
    """The text of each message of ``kind`` (its Message-ID's prefix) sent to ``email``."""
    return [
        text_of(m)
        for m in messages(platform.mail)
        if m["X-Envelope-To"] == email and str(m["Message-ID"]).startswith(f"<{kind}-")
    ]


def give_monthly(page: Page, amount: str) -> None:
    """On the donate page: monthly, ``amount`` (USD), the card form; the donor pays with the
    test card the caller types next."""
    page.get_by_label("Give monthly").check()
    page.get_by_label("Other amount in USD").fill(amount)


def manage_everything(page: Page, gateway: str, plan_id: int, **who: Any) -> None:
    """Pause, resume, change the amount, replace the card and cancel on the plan's page, each
    through its confirmation; the platform's plan agrees after each step."""
    status = page.get_by_test_id("plan-status")
    expect(status).to_contain_text("Active", timeout=PAID_TIMEOUT)

    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_role("button", name="Pause…").click()
    page.get_by_role("button", name="Yes, pause it").click()
    expect(status).to_contain_text("Paused")
    assert plan_get(gateway, plan_id, **who)["status"] == "paused"

    page.get_by_role("button", name="Resume").click()
    page.get_by_role("button", name="Yes, resume it").click()
    expect(status).to_contain_text("Active")
    assert plan_get(gateway, plan_id, **who)["status"] == "active"

    page.get_by_role("button", name="Change amount").click()
    page.get_by_label("New amount in USD (monthly)").fill("20.00")
    page.get_by_role("button", name="Change…").click()
    page.get_by_role("button", name="Yes, change the amount").click()
    expect(page.get_by_test_id("plan-amount")).to_have_text("$20.00 a month")
    assert plan_get(gateway, plan_id, **who)["amount"] == 2_000

    page.get_by_role("button", name="Change card").click()
    type_card(page, MASTERCARD)
    page.get_by_role("button", name="Save the new card").click()
    expect(page.get_by_test_id("card-status")).to_contain_text("new card", timeout=PAID_TIMEOUT)
    wait_until(lambda: plan_get(gateway, plan_id, **who)["card_last4"] == "4444", timeout=30)
    expect(page.get_by_test_id("plan-card")).to_contain_text("4444", timeout=PAID_TIMEOUT)

    page.get_by_role("button", name="Cancel the gift").click()
    page.get_by_role("button", name="Yes, cancel the gift").click()
    expect(status).to_contain_text("Canceled")
    expect(page.get_by_text("This monthly gift has ended")).to_be_visible()
    ended = plan_get(gateway, plan_id, **who)
    assert (ended["status"], ended["cancel_reason"]) == ("canceled", "donor")


def test_a_signed_in_donor_gives_monthly_and_manages_the_gift(
    open_page: OpenPage, gateway: str, campaign: dict[str, Any], plans_to_stop: list[int]
) -> None:
    donor = register_donor(gateway)
    page = open_page("/#/signin")
    page.get_by_label("Email").fill(donor.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("My donations")
    page.goto(f"/#/campaigns/{campaign['id']}/donate")
    give_monthly(page, "12.34")

    pay_with_card(page, VISA, "$12.34 a month")

    outcome = page.get_by_test_id("outcome")
    expect(outcome).to_contain_text("Thank you!", timeout=PAID_TIMEOUT)
    expect(page.get_by_test_id("plan-summary")).to_contain_text("$12.34 a month")
    plans = requests.get(f"{gateway}/api/recurring", headers=bearer(donor.access), timeout=10)
    (plan,) = plans.json()["results"]
    plans_to_stop.append(plan["id"])
    assert (plan["amount"], plan["interval"]) == (1_234, "month")

    page.get_by_role("link", name="Manage your monthly gift").click()
    expect(page.get_by_test_id("plan-card")).to_contain_text("Visa •••• 4242", timeout=PAID_TIMEOUT)
    manage_everything(page, gateway, plan["id"], token=donor.access)


def test_a_guest_gives_monthly_and_manages_the_gift_from_the_emailed_link(
    open_page: OpenPage,
    gateway: str,
    campaign: dict[str, Any],
    platform: Platform,
    plans_to_stop: list[int],
) -> None:
    email = f"guest-{uuid.uuid4().hex[:8]}@example.org"
    page = open_page(f"/#/campaigns/{campaign['id']}/donate")
    give_monthly(page, "7.50")
    page.get_by_label("Your name").fill("Gale Guest")
    page.get_by_label("Your email").fill(email)

    pay_with_card(page, VISA, "$7.50 a month")

    expect(page.get_by_test_id("outcome")).to_contain_text("Thank you!", timeout=PAID_TIMEOUT)
    expect(page.get_by_role("link", name="Manage your monthly gift")).to_have_attribute(
        "href", re.compile(r"manage_token=")
    )
    wait_until(lambda: len(mail_to(platform, email, "plan_created")) == 1, timeout=30)
    link = MANAGE_LINK.search(mail_to(platform, email, "plan_created")[0])
    assert link is not None
    plan_id = int(link[2])
    plans_to_stop.append(plan_id)
    token = link[1].split("manage_token=", 1)[1]

    later = open_page(link[1])  # a fresh browser: no session, the link alone
    expect(later.get_by_test_id("plan-amount")).to_have_text("$7.50 a month")
    manage_everything(later, gateway, plan_id, manage=token)


def installments_made(platform: Platform, plan_id: int) -> int:
    conn = MySQLdb.connect(
        host="127.0.0.1", user="root", password="", database=f"{platform.database_prefix}pledge"
    )
    try:
        cursor = conn.cursor()
        cursor.execute("SELECT COUNT(*) FROM plans_installment WHERE plan_id = %s", (plan_id,))
        return int(cursor.fetchone()[0])
    finally:
        conn.close()


def test_an_installment_the_bank_wants_authenticated_is_completed_from_the_emailed_link(
    open_page: OpenPage,
    gateway: str,
    staff_token: str,
    campaign: dict[str, Any],
    platform: Platform,
    plans_to_stop: list[int],
) -> None:
    email = f"guest-{uuid.uuid4().hex[:8]}@example.org"
    page = open_page(f"/#/campaigns/{campaign['id']}/donate")
    give_monthly(page, "31.84")
    page.get_by_label("Your name").fill("Tess Three")
    page.get_by_label("Your email").fill(email)

    # The first payment: 3-D Secure on-session, in the page.
    pay_with_card(page, AUTHENTICATION_ALWAYS, "$31.84 a month")
    answer_challenge(page, complete=True)
    expect(page.get_by_test_id("outcome")).to_contain_text("Thank you!", timeout=PAID_TIMEOUT)
    wait_until(lambda: len(mail_to(platform, email, "plan_created")) == 1, timeout=30)
    link = MANAGE_LINK.search(mail_to(platform, email, "plan_created")[0])
    assert link is not None
    plan_id, token = int(link[2]), link[1].split("manage_token=", 1)[1]
    plans_to_stop.append(plan_id)
    assert plan_get(gateway, plan_id, manage=token)["status"] == "active"

    # Period 1 (30 s on) is charged off-session and declined: authentication_required. A retry
    # day lasts 1 s on this clock, shorter than a donor takes to open an email, so beat is
    # stopped (SIGSTOP) once period 1's installment is made: the schedule's retry waits, as it
    # would for the days between a decline and its retry.
    wait_until(lambda: installments_made(platform, plan_id) == 2, timeout=60, interval=0.02)
    beat = service_processes(platform, "beat-pledge")
    signal_processes(beat, signal.SIGSTOP)
    try:
        wait_until(lambda: mail_to(platform, email, "plan_authentication_required"), timeout=40)
        (notice,) = mail_to(platform, email, "plan_authentication_required")
        found = AUTHENTICATE_LINK.search(notice)
        assert found is not None, notice
        assert (int(found[2]), "manage_token=" in found[1]) == (plan_id, True)
        declined = int(found[3])
        plan = plan_get(gateway, plan_id, manage=token)
        assert (plan["status"], plan["failed_attempts"]) == ("past_due", 1)
        assert plan["pending_authentication"] == {"pledge_id": declined}

        confirm = open_page(found[1])  # the emailed link, in a fresh browser
        confirm.get_by_role("button", name="Confirm the payment").click()
        answer_challenge(confirm, complete=True)
        expect(confirm.get_by_test_id("authentication-status")).to_contain_text(
            "the payment is confirmed", timeout=PAID_TIMEOUT
        )
    finally:
        signal_processes(beat, signal.SIGCONT)

    # "Confirmed" is the page's word for what the provider told the browser; the plan and the
    # pledge hear of it through the provider's webhook and the payment's events.
    def plan_state() -> tuple[object, ...]:
        plan = plan_get(gateway, plan_id, manage=token)
        return (plan["status"], plan["installments_charged"], plan["failed_attempts"])

    wait_until(lambda: plan_state() == ("active", 2, 0), timeout=30, interval=0.5)
    assert plan_get(gateway, plan_id, manage=token)["pending_authentication"] is None

    def plan_pledges_now() -> list[tuple[object, object]]:
        pledges = plan_pledges(gateway, staff_token, int(campaign["id"]), plan_id)
        return [(p["status"], p["amount"]) for p in pledges]

    wait_until(
        lambda: plan_pledges_now() == [("CAPTURED", 3_184), ("FAILED", 3_184), ("CAPTURED", 3_184)],
        timeout=30,
        interval=0.5,
    )
    pledges = plan_pledges(gateway, staff_token, int(campaign["id"]), plan_id)
    assert pledges[1]["id"] == declined
    time.sleep(2)  # and the schedule made no retry of that period after beat came back
    assert len(plan_pledges(gateway, staff_token, int(campaign["id"]), plan_id)) == 3
