"""The card-testing challenge on the donor site (SPEC §3 "Card-testing defence").

Staff switch challenge mode on at runtime (the test platform starts with CHALLENGE_MODE=off);
a guest's first "Continue" is answered 403 `challenge-required`, the site shows the widget (the
sandbox's Turnstile stand-in, whose development site key always solves), sends the same payment
again with the token and the same Idempotency-Key, and the gift completes with what the guest
typed. The mode is switched off again whatever happens.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import requests
from integration.support import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    bearer,
    create_campaign,
    get_campaign,
    pledges_with_statuses,
    sign_in,
    wait_until,
)
from playwright.sync_api import Page, Request, expect

from browser.cards import PAID_TIMEOUT, VISA, card_form, type_card

OpenPage = Callable[..., Page]
WIDGET_FRAME = 'iframe[title="Widget containing a Cloudflare security challenge"]'


def challenge_mode(gateway: str, token: str, mode: str) -> None:
    response = requests.put(
        f"{gateway}/api/payments/challenge", json={"mode": mode}, headers=bearer(token), timeout=10
    )
    assert response.status_code == 200, response.text


def test_a_guest_answers_the_challenge_and_the_gift_completes_with_what_they_typed(
    open_page: OpenPage, gateway: str
) -> None:
    staff = str(sign_in(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)["access"])
    campaign: dict[str, Any] = create_campaign(
        gateway, staff, title=f"Challenge coats {uuid.uuid4().hex[:6]}"
    )
    email = f"guest-{uuid.uuid4().hex[:8]}@example.org"
    challenge_mode(gateway, staff, "on")
    try:
        config = requests.get(f"{gateway}/api/payments/config", timeout=10).json()
        assert config["challenge"]["mode"] == "on"
        assert config["challenge"]["active"] is True

        page = open_page(f"/#/campaigns/{campaign['id']}/donate")
        payments: list[Request] = []
        page.on(
            "request",
            lambda request: (
                payments.append(request)
                if request.method == "POST" and request.url.endswith("/api/payments")
                else None
            ),
        )
        page.get_by_label("Other amount in USD").fill("17.25")
        page.get_by_label("Your name").fill("Casey Challenge")
        page.get_by_label("Your email").fill(email)
        with page.expect_response(
            lambda answer: answer.url.endswith("/api/payments") and answer.status == 403
        ) as refused:
            page.get_by_role("button", name="Continue to pay $17.25").click()
        assert str(refused.value.json()["type"]).endswith("challenge-required")

        # The widget, beside the continue button; the stand-in solves it and the site goes on.
        expect(page.get_by_test_id("challenge")).to_be_visible()
        expect(page.locator(WIDGET_FRAME)).to_have_count(1)
        expect(card_form(page).get_by_label("Card number")).to_be_visible(timeout=PAID_TIMEOUT)
        expect(page.get_by_test_id("challenge")).to_have_count(0)

        assert len(payments) == 2, [request.post_data for request in payments]
        first, second = (dict(request.post_data_json or {}) for request in payments)
        assert "challenge_token" not in first
        assert second["challenge_token"]
        assert second["pledge_id"] == first["pledge_id"]
        keys = {request.headers["idempotency-key"] for request in payments}
        assert len(keys) == 1, keys

        # What the guest typed is still there.
        expect(page.get_by_label("Other amount in USD")).to_have_value("17.25")
        expect(page.get_by_label("Your name")).to_have_value("Casey Challenge")
        expect(page.get_by_label("Your email")).to_have_value(email)

        type_card(page, VISA)
        page.get_by_role("button", name="Donate $17.25").click()
        outcome = page.get_by_test_id("outcome")
        expect(outcome).to_contain_text("Thank you!", timeout=PAID_TIMEOUT)
        expect(outcome).to_contain_text("Paid with Visa •••• 4242")

        wait_until(lambda: get_campaign(gateway, campaign["id"])["captured_amount"] == 1725)
        pledges = pledges_with_statuses(gateway, staff, campaign["id"], ["CAPTURED"])
        assert [(p["status"], p["amount"], p["donor_name"]) for p in pledges] == [
            ("CAPTURED", 1725, "Casey Challenge")
        ]
    finally:
        challenge_mode(gateway, str(sign_in(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)["access"]), "off")
