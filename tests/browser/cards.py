"""Paying on the donor site as a donor does: the card is typed into the provider's frame.

The frames are the sandbox's (its Stripe.js stand-in); against Stripe they would be Stripe's,
with the same labels.
"""

from __future__ import annotations

from playwright.sync_api import FrameLocator, Page, expect

VISA = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
INSUFFICIENT_FUNDS = "4000 0000 0000 9995"
THREE_D_SECURE = "4000 0025 0000 3155"
TEST_NUMBERS = (VISA, DECLINED, INSUFFICIENT_FUNDS, THREE_D_SECURE)
CARD_FRAME = 'iframe[title="Secure payment input frame"]'
CHALLENGE_FRAME = 'iframe[title="3D Secure challenge"]'
PAID_TIMEOUT = 30_000  # ms: authorized, captured, and on the campaign's totals


def card_form(page: Page) -> FrameLocator:
    return page.frame_locator(CARD_FRAME)


def continue_to_card(page: Page, amount_label: str) -> None:
    """Make the pledge and the payment; the provider's card form appears."""
    page.get_by_role("button", name=f"Continue to pay {amount_label}").click()
    expect(card_form(page).get_by_label("Card number")).to_be_visible(timeout=PAID_TIMEOUT)


def type_card(page: Page, number: str) -> None:
    form = card_form(page)
    form.get_by_label("Card number").fill(number)
    form.get_by_label("Expiration date").fill("12 / 34")
    form.get_by_label("Security code").fill("123")


def pay_with_card(page: Page, number: str, amount_label: str) -> None:
    """Continue to the card form, type ``number`` and press Donate."""
    continue_to_card(page, amount_label)
    type_card(page, number)
    page.get_by_role("button", name=f"Donate {amount_label}").click()


def answer_challenge(page: Page, *, complete: bool) -> None:
    challenge = page.frame_locator(CHALLENGE_FRAME)
    name = "Complete authentication" if complete else "Fail authentication"
    challenge.get_by_role("button", name=name).click(timeout=PAID_TIMEOUT)
