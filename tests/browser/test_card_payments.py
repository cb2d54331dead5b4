"""Card payments in a real browser (SPEC §3, §5.9): the provider's Payment Element (the
sandbox's Stripe.js stand-in), 3-D Secure, declines, abandonment, and card data that never
reaches the platform.

The card is typed into the provider's frame; the platform learns the outcome from the provider's
webhooks and reconciliation only. Every money check compares exact integers of minor units.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import MySQLdb
import pytest
import requests
from integration.conftest import Platform
from integration.support import (
    PASSWORD,
    bearer,
    create_campaign,
    get_campaign,
    pledges_with_statuses,
    register_donor,
    wait_until,
)
from playwright.sync_api import Page, Request, Response, Route, expect

from browser.cards import (
    DECLINED,
    INSUFFICIENT_FUNDS,
    PAID_TIMEOUT,
    TEST_NUMBERS,
    THREE_D_SECURE,
    VISA,
    answer_challenge,
    continue_to_card,
    pay_with_card,
    type_card,
)
from browser.conftest import ARTIFACTS

OpenPage = Callable[..., Page]
ABANDON_AFTER_S = 20  # PAYMENT_ABANDON_AFTER_SECONDS of the test platform
CONFIRM = re.compile(r"/v1/payment_intents/[^/]+/confirm$")


@pytest.fixture
def campaign(gateway: str, staff_token: str) -> dict[str, Any]:
    return create_campaign(gateway, staff_token, title=f"Warm coats {uuid.uuid4().hex[:6]}")


def guest_page(open_page: OpenPage, campaign: dict[str, Any], amount: str) -> Page:
    page = open_page(f"/#/campaigns/{campaign['id']}/donate")
    page.get_by_label("Other amount in USD").fill(amount)
    page.get_by_label("Your name").fill("Casey Card")
    page.get_by_label("Your email").fill(f"guest-{uuid.uuid4().hex[:8]}@example.org")
    return page


def payment_of(page: Page, gateway: str, staff_token: str) -> dict[str, Any]:
    """The platform's payment of the page's attempt (its id is in the receipt link)."""
    link = page.get_by_role("link", name="Your receipt").get_attribute("href") or ""
    payment_id = parse_qs(urlsplit(link.replace("#", "", 1)).query)["payment"][0]
    response = requests.get(
        f"{gateway}/api/payments/{payment_id}", headers=bearer(staff_token), timeout=10
    )
    assert response.status_code == 200, response.text
    payment: dict[str, Any] = response.json()
    return payment


def test_a_guest_pays_with_3d_secure_and_the_total_rises_by_exactly_that(
    open_page: OpenPage, gateway: str, staff_token: str, campaign: dict[str, Any]
) -> None:
    page = guest_page(open_page, campaign, "31.55")
    with page.expect_response(
        lambda answer: answer.url.endswith("/api/payments") and answer.request.method == "POST"
    ) as created:
        continue_to_card(page, "$31.55")
    start = created.value.json()

    type_card(page, THREE_D_SECURE)
    page.get_by_role("button", name="Donate $31.55").click()
    answer_challenge(page, complete=True)

    outcome = page.get_by_test_id("outcome")
    expect(outcome).to_contain_text("Thank you!", timeout=PAID_TIMEOUT)
    expect(outcome).to_contain_text("Paid with Visa •••• 3155")
    # Stripe.js's own read of the intent agrees (the provider captured it).
    seen = page.evaluate(
        """async ([key, secret]) =>
            (await window.Stripe(key).retrievePaymentIntent(secret)).paymentIntent.status""",
        [start["publishable_key"], start["client_secret"]],
    )
    assert seen == "succeeded"
    wait_until(lambda: get_campaign(gateway, campaign["id"])["captured_amount"] == 3155)
    totals = get_campaign(gateway, campaign["id"])
    assert (totals["current_amount"], totals["total_payments"], totals["pending_amount"]) == (
        3155,
        1,
        0,
    )
    pledges_with_statuses(gateway, staff_token, campaign["id"], ["CAPTURED"])


def test_a_failed_3d_secure_challenge_fails_the_pledge_once(
    open_page: OpenPage, gateway: str, staff_token: str, campaign: dict[str, Any]
) -> None:
    page = guest_page(open_page, campaign, "4.20")

    pay_with_card(page, THREE_D_SECURE, "$4.20")
    answer_challenge(page, complete=False)

    expect(page.get_by_test_id("card-error")).to_contain_text("3-D Secure")
    outcome = page.get_by_test_id("outcome")
    expect(outcome).to_contain_text("Payment failed", timeout=PAID_TIMEOUT)
    expect(outcome).to_contain_text("security check (3-D Secure) was not completed")
    payment = payment_of(page, gateway, staff_token)
    assert (payment["status"], payment["failure_reason"]) == (
        "FAILED",
        "payment_intent_authentication_failure",
    )
    wait_until(lambda: get_campaign(gateway, campaign["id"])["failed_amount"] == 420)
    totals = get_campaign(gateway, campaign["id"])
    assert (totals["captured_amount"], totals["total_payments"], totals["total_pledges"]) == (
        0,
        0,
        1,
    )


def test_a_signed_in_donor_pays_by_card_and_the_receipt_shows_it(
    open_page: OpenPage, gateway: str, campaign: dict[str, Any]
) -> None:
    donor = register_donor(gateway)
    page = open_page("/#/signin")
    page.get_by_label("Email").fill(donor.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("My donations")
    page.goto(f"/#/campaigns/{campaign['id']}/donate")
    page.get_by_label("$50", exact=True).check()

    pay_with_card(page, VISA, "$50.00")

    expect(page.get_by_test_id("outcome")).to_contain_text("Thank you!", timeout=PAID_TIMEOUT)
    wait_until(lambda: get_campaign(gateway, campaign["id"])["captured_amount"] == 5000)
    page.get_by_role("link", name="View your receipt").click()
    expect(page.get_by_test_id("payment-card")).to_have_text("Visa •••• 4242")


def test_insufficient_funds_is_explained_and_moves_nothing(
    open_page: OpenPage, gateway: str, staff_token: str, campaign: dict[str, Any]
) -> None:
    page = guest_page(open_page, campaign, "99.95")

    pay_with_card(page, INSUFFICIENT_FUNDS, "$99.95")

    expect(page.get_by_test_id("card-error")).to_have_text("Your card has insufficient funds.")
    expect(page.get_by_test_id("outcome")).to_contain_text(
        "Your card has insufficient funds.", timeout=PAID_TIMEOUT
    )
    wait_until(lambda: get_campaign(gateway, campaign["id"])["failed_amount"] == 9995)
    assert get_campaign(gateway, campaign["id"])["captured_amount"] == 0


def test_the_browser_s_claim_of_success_moves_no_money(
    open_page: OpenPage, gateway: str, staff_token: str, campaign: dict[str, Any]
) -> None:
    """The page is told "succeeded" by a forged provider answer: nothing is paid until the
    provider itself says so, and here it never does (the card never reached it)."""
    page = guest_page(open_page, campaign, "66.60")
    forged: list[str] = []

    def forge(route: Route) -> None:
        intent_id = route.request.url.rsplit("/", 2)[-2]
        forged.append(intent_id)
        body = {"id": intent_id, "object": "payment_intent", "status": "succeeded"}
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.context.route(CONFIRM, forge)
    pay_with_card(page, VISA, "$66.60")

    expect(page.get_by_test_id("donation-status")).to_contain_text("Pending")
    page.wait_for_timeout(4_000)  # webhooks and reconciliation (every second here) had their go
    assert forged
    expect(page.get_by_test_id("outcome")).to_have_count(0)
    payment = payment_of(page, gateway, staff_token)
    assert payment["status"] == "PROCESSING"
    assert payment["provider_payment_id"] == forged[0]
    totals = get_campaign(gateway, campaign["id"])
    assert (totals["captured_amount"], totals["authorized_amount"], totals["pending_amount"]) == (
        0,
        0,
        6660,
    )


def test_a_donor_who_closes_the_tab_is_abandoned_once(
    open_page: OpenPage, gateway: str, staff_token: str, campaign: dict[str, Any]
) -> None:
    page = guest_page(open_page, campaign, "12.00")
    continue_to_card(page, "$12.00")
    type_card(page, VISA)  # typed, never confirmed
    payment = payment_of(page, gateway, staff_token)
    assert payment["status"] == "PROCESSING"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "card-form.png"), full_page=True)

    page.close()

    def failed() -> bool:
        return get_campaign(gateway, campaign["id"])["failed_amount"] == 1200

    waited = wait_until(failed, timeout=ABANDON_AFTER_S + 30, interval=0.5)
    response = requests.get(
        f"{gateway}/api/payments/{payment['id']}", headers=bearer(staff_token), timeout=10
    )
    assert (response.json()["status"], response.json()["failure_reason"]) == (
        "FAILED",
        "abandoned",
    )
    totals = get_campaign(gateway, campaign["id"])
    assert (totals["pending_amount"], totals["captured_amount"], totals["total_pledges"]) == (
        0,
        0,
        1,
    )
    pledges_with_statuses(gateway, staff_token, campaign["id"], ["FAILED"])
    assert waited < ABANDON_AFTER_S + 30


def _platform_text(platform: Platform) -> dict[str, str]:
    """Every log file of the platform, and a dump of every row of every service database."""
    found: dict[str, str] = {}
    logs = platform.var / "log"
    for path in sorted(logs.glob("*.log")):
        if path.name != "stripe-sandbox.log":  # the provider's own log is not the platform's
            found[str(path)] = path.read_text(errors="replace")
    connection = MySQLdb.connect(host="127.0.0.1", port=3306, user="root", password="")
    try:
        cursor = connection.cursor()
        for service in ("user", "campaign", "pledge", "payment"):
            database = f"{platform.database_prefix}{service}"
            cursor.execute(f"SHOW TABLES FROM `{database}`")
            for (table,) in cursor.fetchall():
                # Names from SHOW TABLES, not from any input.
                cursor.execute(f"SELECT * FROM `{database}`.`{table}`")  # noqa: S608
                found[f"{database}.{table}"] = repr(cursor.fetchall())
    finally:
        connection.close()
    return found


@pytest.mark.after_every_browser_test
def test_card_numbers_never_reach_the_platform(
    open_page: OpenPage, gateway: str, platform: Platform, campaign: dict[str, Any]
) -> None:
    """SPEC §5.9: typed into the provider's frame, a card goes to the provider only.

    Every request the browser sends to the platform, and every answer it gets, is recorded while
    paying with each test card. Then — after every other browser test of the session, which typed
    the test cards too — no log file of the platform and no row of any service database holds a
    card number."""
    if not (platform.var / "log").is_dir():
        pytest.skip("the platform's logs are not on this machine (CAREFORALL_E2E_URL)")
    sent_to_platform: list[str] = []
    sent_to_provider: list[str] = []
    answers: list[Response] = []

    def record(request: Request) -> None:
        seen = f"{request.url}\n{request.headers}\n{request.post_data or ''}"
        if request.url.startswith(gateway):
            sent_to_platform.append(seen)
        else:
            sent_to_provider.append(seen)

    def keep(response: Response) -> None:
        if response.url.startswith(f"{gateway}/api/"):
            answers.append(response)

    for number, amount in ((VISA, "1.11"), (DECLINED, "2.22"), (THREE_D_SECURE, "3.33")):
        page = guest_page(open_page, campaign, amount)
        page.context.on("request", record)
        page.context.on("response", keep)
        pay_with_card(page, number, f"${amount}")
        if number == THREE_D_SECURE:
            answer_challenge(page, complete=True)
        expect(page.get_by_test_id("outcome")).to_be_visible(timeout=PAID_TIMEOUT)
        assert number.replace(" ", "") not in page.content()  # not even in the page's own DOM

    numbers = [number.replace(" ", "") for number in TEST_NUMBERS] + list(TEST_NUMBERS)
    assert any(numbers[0] in seen for seen in sent_to_provider)  # the recording works
    for seen in sent_to_platform:
        assert not any(number in seen for number in numbers), seen
    bodies = [answer.text() for answer in answers if answer.status != 204]
    assert any('"card_last4": "4242"' in body or '"card_last4":"4242"' in body for body in bodies)
    for body in bodies:
        assert not any(number in body for number in numbers), body
    searched = _platform_text(platform)
    for where, text in searched.items():
        for number in numbers:
            assert number not in text, f"{number} found in {where}"
    # The search covers what it must: the payments' rows, the pledges' rows, the access log.
    everything = "\n".join(searched.values())
    paid = [json.loads(body) for body in bodies if '"card_last4":"4242"' in body.replace(" ", "")]
    assert (
        paid[0]["provider_payment_id"]
        in searched[f"{platform.database_prefix}payment.payments_payment"]
    )
    assert "Casey Card" in everything
    assert "/api/payments" in searched[str(platform.var / "log" / "gateway-access.log")]


def test_the_donor_site_s_csp_admits_the_provider_only(open_page: OpenPage, gateway: str) -> None:
    page = open_page("")
    response = page.goto("/")
    assert response is not None
    policy = response.headers["content-security-policy"]
    config = requests.get(f"{gateway}/api/payments/config", timeout=10).json()
    provider = "{0.scheme}://{0.netloc}".format(urlsplit(config["js_url"]))

    parts = [part.strip().split(" ", 1) for part in policy.split(";") if part.strip()]
    directives = {part[0]: part[1] if len(part) > 1 else "" for part in parts}
    assert directives["script-src"] == f"'self' {provider}"
    assert directives["frame-src"] == provider
    assert directives["connect-src"].strip() == "'self'"
    assert "unsafe-inline" not in policy
    expect(page.get_by_test_id("sandbox-banner")).to_contain_text("no real money moves")
