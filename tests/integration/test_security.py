"""Hostile input and careless operators (issue 9), through the gateway only."""

from __future__ import annotations

import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from integration.conftest import Platform
from integration.support import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    PASSWORD,
    Donor,
    assert_problem,
    bearer,
    create_campaign,
    get_campaign,
    make_pledge,
    wait_until,
)
from integration.test_admin import admin_sign_in

ADMIN_SIGN_IN_FORMS = (
    "/admin/login/",
    "/admin/users/login/",
    "/admin/pledges/login/",
    "/admin/payments/login/",
)


# The gateway's sign-in limits (nginx/render.py defaults): 120 a minute, bursts of 20.
REFILL_SECONDS = 20 / 2


def recovered(gateway: str, path: str, method: str = "POST") -> None:
    """Wait until the address's bucket is full again, so later tests (and the browser suite,
    which registers and signs in) find the limit as if no flood had happened."""

    def passes() -> bool:
        return requests.request(method, f"{gateway}{path}", timeout=10).status_code != 429

    wait_until(passes, timeout=20, interval=0.5)
    time.sleep(REFILL_SECONDS)


def flood(url: str, count: int, **kwargs: object) -> list[requests.Response]:
    def attempt(_: int) -> requests.Response:
        return requests.post(url, timeout=15, **kwargs)  # type: ignore[arg-type]

    with ThreadPoolExecutor(max_workers=count) as pool:  # all at once, as an attacker would
        return list(pool.map(attempt, range(count)))


def test_every_admin_sign_in_form_is_rate_limited_per_address(gateway: str) -> None:
    for form in ADMIN_SIGN_IN_FORMS:
        # No CSRF token: whatever gets past the gateway is refused cheaply by the service.
        responses = flood(
            f"{gateway}{form}", 60, data={"username": "nobody@example.org", "password": "x"}
        )

        limited = [r for r in responses if r.status_code == 429]
        assert limited, f"60 rapid sign-ins on {form} were never limited"
        assert_problem(limited[0], 429)
        assert requests.get(f"{gateway}{form}", timeout=10).status_code == 200  # the page is not
    recovered(gateway, ADMIN_SIGN_IN_FORMS[-1])


def test_registration_is_rate_limited_and_a_taken_email_is_cheap(
    gateway: str, donor: Donor
) -> None:
    body = {"email": donor.email, "password": PASSWORD, "name": "Again"}

    responses = flood(f"{gateway}/api/auth/register", 60, json=body)

    statuses = {r.status_code for r in responses}
    assert statuses <= {409, 429}
    limited = [r for r in responses if r.status_code == 429]
    assert limited, "60 rapid registrations were never limited"
    assert_problem(limited[0], 429)
    answered = [r for r in responses if r.status_code == 409]
    # The taken email is found before the password is hashed (~0.8 s of CPU each).
    # (Twenty hashes queued on two cores took several seconds.)
    assert max(r.elapsed.total_seconds() for r in answered) < 2.0
    recovered(gateway, "/api/auth/register")


def sign_in_past_the_gateway_limit(gateway: str, email: str, password: str) -> requests.Response:
    """Sign in, waiting out the address's limit (another test may have used it up)."""
    for _ in range(40):
        response = requests.post(
            f"{gateway}/api/auth/token", json={"email": email, "password": password}, timeout=10
        )
        if response.status_code != 429 or "this account" in response.json()["detail"]:
            return response
        time.sleep(0.5)
    raise AssertionError("the gateway's sign-in limit did not recover")


def test_repeated_failures_for_one_account_slow_it_down(gateway: str, donor: Donor) -> None:
    for _ in range(5):
        wrong = sign_in_past_the_gateway_limit(gateway, donor.email, "wrong-" + uuid.uuid4().hex)
        assert wrong.status_code == 401

    right = sign_in_past_the_gateway_limit(gateway, donor.email, PASSWORD)

    assert_problem(right, 429)
    assert "this account" in str(right.json()["detail"])  # user_service's, not the gateway's
    assert int(right.headers["Retry-After"]) >= 1


def set_account(admin: requests.Session, gateway: str, donor: Donor, **fields: str) -> None:
    """Change an account in user_service's admin, as staff would."""
    url = f"{gateway}/admin/users/accounts/user/{donor.id}/change/"
    page = admin.get(url, timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    form = {"email": donor.email, "name": "E2E Donor", "role": "donor", "is_active": "on"}
    form.update(fields)
    saved = admin.post(
        url,
        data={"csrfmiddlewaretoken": token.group(1), **form, "_save": "Save"},
        headers={"Referer": url},
        timeout=10,
        allow_redirects=False,
    )
    assert saved.status_code == 302, saved.text[:1000]


@pytest.mark.parametrize("change", [{"role": "donor"}, {"role": "staff", "is_active": ""}])
def test_demoted_or_deactivated_staff_lose_every_admin_quickly(
    gateway: str, donor: Donor, change: dict[str, str]
) -> None:
    admin = admin_sign_in(gateway, "/admin/users/", ADMIN_EMAIL, ADMIN_PASSWORD)
    set_account(admin, gateway, donor, role="staff")
    sessions = {
        prefix: admin_sign_in(gateway, prefix, donor.email, PASSWORD)
        for prefix in ("/admin/", "/admin/pledges/", "/admin/payments/", "/admin/users/")
    }
    for prefix, session in sessions.items():
        assert session.get(f"{gateway}{prefix}", timeout=10).status_code == 200, prefix

    set_account(admin, gateway, donor, **{"role": "staff", "is_active": "on", **change})

    for prefix, session in sessions.items():

        def signed_out(session: requests.Session = session, prefix: str = prefix) -> bool:
            index = session.get(f"{gateway}{prefix}", timeout=10, allow_redirects=False)
            return index.status_code == 302 and "/login/" in index.headers["Location"]

        wait_until(signed_out, timeout=10, interval=0.5)


def test_a_campaign_that_just_took_a_pledge_cannot_be_deleted_or_change_currency(
    gateway: str, staff_token: str
) -> None:
    campaign = create_campaign(gateway, staff_token)
    url = f"{gateway}/api/campaigns/{campaign['id']}"
    assert make_pledge(gateway, int(str(campaign["id"])), 700).status_code == 201

    # At once, before the read model has seen the pledge: decided on pledge_service's records.
    currency = requests.patch(
        url, json={"currency": "eur"}, headers=bearer(staff_token), timeout=10
    )
    deletion = requests.delete(url, headers=bearer(staff_token), timeout=10)

    assert_problem(currency, 409)
    assert_problem(deletion, 409)
    wait_until(lambda: get_campaign(gateway, int(str(campaign["id"])))["total_pledges"] == 1)
    assert get_campaign(gateway, int(str(campaign["id"])))["currency"] == "usd"


def test_a_deleted_campaign_takes_no_pledge(gateway: str, staff_token: str) -> None:
    campaign = create_campaign(gateway, staff_token)
    url = f"{gateway}/api/campaigns/{campaign['id']}"

    deleted = requests.delete(url, headers=bearer(staff_token), timeout=10)
    pledge = make_pledge(gateway, int(str(campaign["id"])), 700)

    assert deleted.status_code == 204
    assert pledge.status_code in (404, 409), pledge.text
    assert_problem(pledge, pledge.status_code)


def test_a_cursor_that_decodes_to_no_id_is_a_4xx_problem(gateway: str) -> None:
    response = requests.get(f"{gateway}/api/campaigns?cursor=cD1hYmM=", timeout=10)  # "p=abc"

    assert_problem(response, 404)


def test_json_nested_1000_deep_is_a_400_problem_on_every_public_post(gateway: str) -> None:
    deep = "[" * 1000 + "]" * 1000
    for path, body in (
        ("/api/auth/register", '{"email": ' + deep + "}"),
        ("/api/auth/token", '{"email": ' + deep + "}"),
        ("/api/pledges", '{"campaign_id": ' + deep + "}"),
        ("/api/payments", '{"pledge_id": ' + deep + "}"),
    ):
        response = requests.post(
            f"{gateway}{path}",
            data=body,
            headers={"Content-Type": "application/json", "Idempotency-Key": "deep-1"},
            timeout=10,
        )

        assert response.status_code in (400, 429), (path, response.text[:200])
        assert_problem(response, response.status_code)


def test_a_non_ascii_stripe_signature_is_a_400_problem(gateway: str) -> None:
    response = requests.post(
        f"{gateway}/api/payments/webhook",
        data=b'{"id": "evt_1"}',
        headers={
            "Stripe-Signature": "t=1,v1=\xe9".encode("latin-1"),
            "Content-Type": "application/json",
        },
        timeout=10,
    )

    assert_problem(response, 400)


def test_a_control_byte_in_a_header_is_a_400_problem_not_html(gateway: str) -> None:
    for key in ("ab\x7fc", "ab\x01c"):
        response = requests.post(
            f"{gateway}/api/pledges",
            json={"campaign_id": 1, "amount": 100},
            headers={"Idempotency-Key": key},
            timeout=10,
        )

        assert_problem(response, 400)


def test_a_guest_s_receipt_token_never_reaches_the_access_log(
    platform: Platform, gateway: str, staff_token: str
) -> None:
    campaign = create_campaign(gateway, staff_token)
    pledge = make_pledge(gateway, int(str(campaign["id"])), 900).json()
    token = pledge["receipt_token"]
    request_id = f"receipt-{uuid.uuid4().hex}"

    read = requests.get(
        f"{gateway}/api/pledges/{pledge['id']}?receipt_token={token}",
        headers={"X-Request-Id": request_id},
        timeout=10,
    )

    assert read.status_code == 200
    log = platform.var / "log" / "gateway-access.log"
    wait_until(lambda: request_id in log.read_text())
    assert token not in log.read_text()
    (line,) = [line for line in log.read_text().splitlines() if request_id in line]
    assert f"/api/pledges/{pledge['id']}?[query withheld: receipt token]" in line


def test_the_donor_site_is_not_framed_and_keeps_its_referrer(gateway: str) -> None:
    page = requests.get(f"{gateway}/", timeout=10)
    behind_tls = requests.get(f"{gateway}/", headers={"X-Forwarded-Proto": "https"}, timeout=10)
    api = requests.get(f"{gateway}/api/health/user", timeout=10)

    assert page.status_code == 200
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in page.headers  # plain HTTP: meaningless
    assert behind_tls.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert api.headers["Referrer-Policy"] == "same-origin"


def test_refresh_tokens_rotate_and_sign_out_revokes_them(gateway: str, donor: Donor) -> None:
    def refresh(token: str) -> requests.Response:
        return requests.post(
            f"{gateway}/api/auth/token/refresh", json={"refresh": token}, timeout=10
        )

    rotated = refresh(donor.refresh)
    reused = refresh(donor.refresh)
    logout = requests.post(
        f"{gateway}/api/auth/logout", json={"refresh": rotated.json()["refresh"]}, timeout=10
    )
    signed_out = refresh(rotated.json()["refresh"])

    assert rotated.status_code == 200
    assert_problem(reused, 401)
    assert logout.status_code == 204
    assert_problem(signed_out, 401)
