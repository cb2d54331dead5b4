"""The donor site in a real browser, through the gateway (SPEC §1 frontend, §3).

Every check of money compares exact integers of minor units: the page's ``data-amount`` against
the API's totals.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests
from integration.support import (
    PASSWORD,
    all_pledges,
    create_campaign,
    get_campaign,
    make_pledge,
    pledges_with_statuses,
    wait_until,
)
from playwright.sync_api import Page, Route, expect

from browser.cards import (
    DECLINED,
    PAID_TIMEOUT,
    VISA,
    card_form,
    continue_to_card,
    pay_with_card,
    type_card,
)
from browser.conftest import METRICS

OpenPage = Callable[..., Page]
CAMPAIGN_LIST = re.compile(r"/api/campaigns\?")
PLEDGE_CREATE = re.compile(r"/api/pledges$")


@pytest.fixture
def campaign(gateway: str, staff_token: str) -> dict[str, Any]:
    return create_campaign(
        gateway,
        staff_token,
        title=f"Clean water {uuid.uuid4().hex[:6]}",
        description="Wells for three villages.\n\nEvery gift counts.",
    )


def raised(page: Page) -> Any:
    """The campaign page's "raised" amount (its data-amount is the exact minor units)."""
    return page.get_by_test_id("campaign-totals").locator(".raised .money").first


def guest_details(page: Page, name: str = "Grace Guest") -> None:
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Your email").fill(f"guest-{uuid.uuid4().hex[:8]}@example.org")


def other_amount(page: Page, text: str) -> None:
    page.get_by_label("Other amount in USD").fill(text)


def test_campaign_list_shows_active_campaigns_fast(
    open_page: OpenPage, campaign: dict[str, Any]
) -> None:
    page = open_page("/", phone=True)

    card = page.get_by_role("listitem").filter(has_text=campaign["title"])
    expect(card).to_be_visible()
    expect(card.get_by_role("progressbar", name="Raised so far")).to_have_attribute(
        "aria-valuenow", "0"
    )
    expect(card).to_contain_text("$0.00 raised of $10,000.00")
    expect(card).to_contain_text("0 donations")
    expect(card).to_contain_text("Wells for three villages.")
    page.wait_for_function("performance.getEntriesByName('cfa:campaign-list-rendered').length > 0")
    timing = page.evaluate(
        """() => {
            const nav = performance.getEntriesByType('navigation')[0];
            const paint = performance.getEntriesByName('first-contentful-paint')[0];
            const list = performance.getEntriesByName('cfa:campaign-list-rendered')[0];
            return {
                list_rendered_ms: Math.round(list.startTime),
                first_contentful_paint_ms: paint ? Math.round(paint.startTime) : null,
                dom_content_loaded_ms: Math.round(nav.domContentLoadedEventEnd),
            };
        }"""
    )
    METRICS["campaign_list_first_render"] = timing
    assert timing["list_rendered_ms"] < 3000
    # Usable at phone width: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    card.get_by_role("link", name=campaign["title"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(campaign["title"])
    expect(page.get_by_role("heading", level=1)).to_be_focused()


def test_guest_donates_with_visa_and_the_total_rises_by_exactly_that(
    open_page: OpenPage, gateway: str, staff_token: str, campaign: dict[str, Any]
) -> None:
    campaign_id = campaign["id"]
    watcher = open_page(f"/#/campaigns/{campaign_id}")  # stays open, never reloaded
    expect(raised(watcher)).to_have_attribute("data-amount", "0")
    page = open_page(f"/#/campaigns/{campaign_id}", phone=True)

    page.get_by_role("link", name="Donate", exact=True).click()
    other_amount(page, "12.34")
    guest_details(page)
    pay_with_card(page, VISA, "$12.34")

    outcome = page.get_by_test_id("outcome")
    expect(outcome).to_contain_text("Thank you!", timeout=PAID_TIMEOUT)
    expect(outcome).to_contain_text("$12.34")
    expect(outcome).to_contain_text("Paid with Visa •••• 4242")
    receipt = outcome.get_by_role("link", name="View your receipt").get_attribute("href")
    assert receipt is not None
    assert "token=" in receipt
    assert "payment=" in receipt

    # The open campaign page shows the new total by itself, within the live refresh.
    expect(raised(watcher)).to_have_attribute("data-amount", "1234", timeout=PAID_TIMEOUT)
    expect(raised(watcher)).to_have_text("$12.34")
    assert get_campaign(gateway, campaign_id)["current_amount"] == 1234
    pledges = pledges_with_statuses(gateway, staff_token, campaign_id, ["CAPTURED"])
    assert [(p["amount"], p["status"], p["donor_name"]) for p in pledges] == [
        (1234, "CAPTURED", "Grace Guest")
    ]

    # The guest's receipt, later, in another browser: only the link is needed.
    later = open_page(receipt)
    expect(later.get_by_test_id("receipt")).to_contain_text(f"#{pledges[0]['id']}")
    expect(later.get_by_test_id("payment-status")).to_contain_text("Paid")
    expect(later.get_by_test_id("payment-card")).to_have_text("Visa •••• 4242")
    expect(later.get_by_role("status")).to_have_text("Paid. Thank you!")


def test_donor_registers_gives_anonymously_and_sees_it_in_my_donations(
    open_page: OpenPage, gateway: str, staff_token: str, campaign: dict[str, Any]
) -> None:
    campaign_id = campaign["id"]
    email = f"donor-{uuid.uuid4().hex[:10]}@example.org"
    page = open_page(f"/#/campaigns/{campaign_id}/donate")

    page.get_by_label("Create an account").check()
    account = page.get_by_role("form", name="Create an account")
    account.get_by_label("Name").fill("Dana Donor")
    account.get_by_label("Email").fill(email)
    account.get_by_label("Password").fill(PASSWORD)
    account.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Giving as Dana Donor")).to_be_visible()

    page.get_by_label("$25", exact=True).check()
    page.get_by_label("Give anonymously").check()
    pay_with_card(page, VISA, "$25.00")
    expect(page.get_by_test_id("outcome")).to_contain_text("Thank you!", timeout=PAID_TIMEOUT)

    page.get_by_role("link", name="My donations").click()
    row = page.get_by_test_id("my-donations").get_by_role("listitem").first
    expect(row).to_contain_text("$25.00")
    expect(row).to_contain_text("Anonymous")
    expect(row).to_contain_text(campaign["title"])

    row.get_by_role("link", name=campaign["title"]).click()
    newest = page.get_by_test_id("donor-wall").get_by_role("listitem").first
    expect(newest.locator(".donor")).to_have_text("Anonymous")
    expect(newest).to_contain_text("$25.00")
    expect(page.get_by_test_id("donor-wall")).not_to_contain_text("Dana Donor")

    (pledge,) = all_pledges(gateway, staff_token, campaign_id)
    assert pledge["anonymous"] is True
    assert pledge["user_id"] is not None
    assert pledge["amount"] == 2500


def test_declined_card_shows_an_error_and_the_total_stays(
    open_page: OpenPage, gateway: str, staff_token: str, campaign: dict[str, Any]
) -> None:
    campaign_id = campaign["id"]
    page = open_page(f"/#/campaigns/{campaign_id}/donate")
    other_amount(page, "7.77")
    guest_details(page)
    pay_with_card(page, DECLINED, "$7.77")

    expect(page.get_by_test_id("card-error")).to_have_text("Your card was declined.")
    outcome = page.get_by_test_id("outcome")
    expect(outcome).to_contain_text("Payment failed", timeout=PAID_TIMEOUT)
    expect(outcome).to_contain_text("The bank declined the card (card_declined: generic_decline)")
    expect(outcome).to_contain_text("No money was taken")
    wait_until(lambda: get_campaign(gateway, campaign_id)["failed_amount"] == 777)
    assert get_campaign(gateway, campaign_id)["current_amount"] == 0

    # "Try another card" makes a new pledge; the failed one stays failed.
    page.get_by_role("button", name="Try another card").click()
    pay_with_card(page, VISA, "$7.77")
    expect(page.get_by_test_id("outcome")).to_contain_text("Thank you!", timeout=PAID_TIMEOUT)
    page.get_by_role("link", name="Back to the campaign").click()
    expect(raised(page)).to_have_attribute("data-amount", "777", timeout=PAID_TIMEOUT)
    # "Thank you!" comes with the authorization; the capture, and the pledge's CAPTURED, follow.
    pledges_with_statuses(gateway, staff_token, campaign_id, ["CAPTURED", "FAILED"])


def test_double_click_on_donate_makes_one_pledge(
    open_page: OpenPage, gateway: str, staff_token: str, campaign: dict[str, Any]
) -> None:
    campaign_id = campaign["id"]
    page = open_page(f"/#/campaigns/{campaign_id}/donate")
    other_amount(page, "5")
    guest_details(page)
    button = page.get_by_role("button", name="Continue to pay $5.00")

    button.dblclick()
    # And two clicks in one task, before React can disable the button.
    page.evaluate(
        """() => {
            const button = document.querySelector('button[form="donate-form"]');
            if (button) { button.click(); button.click(); }
        }"""
    )

    wait_until(lambda: len(all_pledges(gateway, staff_token, campaign_id)) >= 1)
    time.sleep(2)  # anything a second click would have sent has arrived by now
    pledges = all_pledges(gateway, staff_token, campaign_id)
    assert len(pledges) == 1, pledges
    assert pledges[0]["amount"] == 500


def test_a_lost_answer_is_retried_with_the_same_key(
    open_page: OpenPage, gateway: str, staff_token: str, campaign: dict[str, Any]
) -> None:
    page = open_page(f"/#/campaigns/{campaign['id']}/donate")
    keys: list[str | None] = []

    def lose_the_first_answer(route: Route) -> None:
        keys.append(route.request.header_value("idempotency-key"))
        if len(keys) == 1:
            assert route.fetch().status == 201  # the pledge is made...
            route.abort()  # ...but its answer never reaches the browser
        else:
            route.continue_()

    page.route(PLEDGE_CREATE, lose_the_first_answer)
    other_amount(page, "3.50")
    guest_details(page)
    page.get_by_role("button", name="Continue to pay $3.50").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Could not reach CareForAll.")

    alert.get_by_role("button", name="Try again").click()
    expect(card_form(page).get_by_label("Card number")).to_be_visible(timeout=PAID_TIMEOUT)
    type_card(page, VISA)
    page.get_by_role("button", name="Donate $3.50").click()
    expect(page.get_by_test_id("outcome")).to_contain_text("Thank you!", timeout=PAID_TIMEOUT)
    assert len(keys) == 2
    assert keys[0]
    assert keys[0] == keys[1]
    pledges = pledges_with_statuses(gateway, staff_token, campaign["id"], ["CAPTURED"])
    assert [(p["amount"], p["status"]) for p in pledges] == [(350, "CAPTURED")]


def test_guest_receipt_of_a_pledge_by_link(
    open_page: OpenPage, gateway: str, campaign: dict[str, Any]
) -> None:
    response = make_pledge(gateway, campaign["id"], 300, donor_name="Rita Receipt")
    assert response.status_code == 201, response.text
    pledge = response.json()

    page = open_page(f"/#/receipt/{pledge['id']}?token={pledge['receipt_token']}")
    receipt = page.get_by_test_id("receipt")
    expect(receipt).to_contain_text(f"#{pledge['id']}")
    expect(receipt).to_contain_text("$3.00")
    expect(receipt).to_contain_text("Pending")
    expect(receipt).to_contain_text("Rita Receipt")
    expect(receipt.get_by_role("link", name=campaign["title"])).to_be_visible()

    wrong = open_page(f"/#/receipt/{pledge['id']}?token=not-the-token")
    expect(wrong.get_by_role("alert")).to_contain_text("No pledge with this id.")
    expect(wrong.get_by_text("Check that the receipt link is complete")).to_be_visible()


def test_signed_in_donor_pledge_shows_in_my_donations(
    open_page: OpenPage, gateway: str, campaign: dict[str, Any]
) -> None:
    """Sign-in, a wrong password and a pledge: none of it needs the payments to work."""
    email = f"donor-{uuid.uuid4().hex[:10]}@example.org"
    registered = requests.post(
        f"{gateway}/api/auth/register",
        json={"email": email, "password": PASSWORD, "name": "Sam Signed"},
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    page = open_page("/#/signin")

    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("The email or password is wrong.")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("My donations")

    page.goto(f"/#/campaigns/{campaign['id']}/donate")
    expect(page.get_by_text("Giving as Sam Signed")).to_be_visible()
    page.get_by_label("$10", exact=True).check()
    continue_to_card(page, "$10.00")  # the pledge exists; the card form waits

    page.get_by_role("link", name="My donations").click()
    row = page.get_by_test_id("my-donations").get_by_role("listitem").first
    expect(row).to_contain_text("$10.00")
    expect(row).to_contain_text(campaign["title"])


def test_invalid_amount_is_explained_and_nothing_is_sent(
    open_page: OpenPage, gateway: str, staff_token: str, campaign: dict[str, Any]
) -> None:
    page = open_page(f"/#/campaigns/{campaign['id']}/donate")
    other_amount(page, "0.001")
    page.get_by_label("Your name").fill("Kim Keyboard")
    page.get_by_label("Your email").press("Enter")  # submits the form from the keyboard

    amount = page.get_by_label("Other amount in USD")
    expect(amount).to_be_focused()
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Use at most 2 decimal places.")).to_be_visible()
    expect(page.get_by_text("Enter a valid email address")).to_be_visible()
    assert all_pledges(gateway, staff_token, campaign["id"]) == []


FOCUSED_NAME = """() => {
    const element = document.activeElement;
    const label = element.labels && element.labels[0];
    return (label ? label.textContent : element.textContent).trim();
}"""


def test_the_donate_form_works_from_the_keyboard_in_order(
    open_page: OpenPage, campaign: dict[str, Any]
) -> None:
    page = open_page(f"/#/campaigns/{campaign['id']}/donate")
    expect(page.get_by_role("button", name="Continue to pay $25.00")).to_be_visible()
    # The page's h1 took the focus when the page opened, and kept it once the campaign arrived.
    expect(page.get_by_role("heading", level=1)).to_be_focused()

    seen: list[str] = []
    while not seen or not seen[-1].startswith("Continue"):
        assert len(seen) < 20, seen
        page.keyboard.press("Tab")
        seen.append(page.evaluate(FOCUSED_NAME))

    assert seen == [
        "Give once",
        "$25",
        "Other amount in USD",
        "Give anonymously",
        "As a guest",
        "Your name",
        "Your email",
        "Continue to pay $25.00",
    ]
    page.get_by_label("$25", exact=True).focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_label("$50", exact=True)).to_be_checked()
    expect(page.get_by_role("button", name="Continue to pay $50.00")).to_be_visible()


def test_errors_are_readable_never_a_blank_page(open_page: OpenPage) -> None:
    missing = open_page("/#/campaigns/999999999")
    expect(missing.get_by_role("alert")).to_contain_text("No campaign with this id.")

    nowhere = open_page("/#/no/such/page")
    expect(nowhere.get_by_role("heading", level=1)).to_have_text("Page not found")

    broken = open_page("")
    broken.route(
        CAMPAIGN_LIST,
        lambda route: route.fulfill(
            status=502, content_type="text/html", body="<html><h1>502</h1></html>"
        ),
    )
    broken.goto("/#/")
    alert = broken.get_by_role("alert")
    expect(alert).to_contain_text("Bad Gateway")
    expect(alert).to_contain_text("The service is not answering right now.")

    offline = open_page("")
    offline.route(CAMPAIGN_LIST, lambda route: route.abort())
    offline.goto("/#/")
    expect(offline.get_by_role("alert")).to_contain_text("Could not reach CareForAll.")
    offline.unroute(CAMPAIGN_LIST)
    offline.get_by_role("button", name="Try again").click()
    expect(offline.get_by_test_id("campaign-list")).to_be_visible()
