"""One identity for every admin (SPEC §3): staff sign in with their platform account."""

from __future__ import annotations

import re

import requests

from integration.support import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, Donor, bearer

ADMINS = ("/admin/", "/admin/users/", "/admin/pledges/", "/admin/payments/")


def admin_sign_in(gateway: str, prefix: str, email: str, password: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{gateway}{prefix}login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    session.post(
        f"{gateway}{prefix}login/",
        data={
            "csrfmiddlewaretoken": token.group(1),
            "username": email,
            "password": password,
            "next": prefix,
        },
        headers={"Referer": f"{gateway}{prefix}login/"},
        timeout=15,
    )
    return session


def test_staff_signs_in_to_every_admin_with_the_platform_account(gateway: str) -> None:
    for prefix in ADMINS:
        session = admin_sign_in(gateway, prefix, ADMIN_EMAIL.upper(), ADMIN_PASSWORD)
        index = session.get(f"{gateway}{prefix}", timeout=10, allow_redirects=False)
        assert index.status_code == 200, prefix
        assert "Log out" in index.text or "logout" in index.text, prefix


def test_the_campaign_admin_lists_campaigns(gateway: str) -> None:
    session = admin_sign_in(gateway, "/admin/", ADMIN_EMAIL, ADMIN_PASSWORD)

    page = session.get(f"{gateway}/admin/campaigns/campaign/", timeout=10)

    assert page.status_code == 200
    assert "campaign" in page.text.lower()


def test_a_donor_cannot_sign_in_to_an_admin(gateway: str, donor: Donor) -> None:
    for prefix in ADMINS:
        session = admin_sign_in(gateway, prefix, donor.email, PASSWORD)
        index = session.get(f"{gateway}{prefix}", timeout=10, allow_redirects=False)
        assert index.status_code == 302, prefix
        assert "/login/" in index.headers["Location"]


def test_flower_is_for_staff_only(gateway: str, staff_token: str, donor: Donor) -> None:
    anonymous = requests.get(f"{gateway}/flower/", timeout=10, allow_redirects=False)
    as_donor = requests.get(
        f"{gateway}/flower/", headers=bearer(donor.access), timeout=10, allow_redirects=False
    )
    as_staff = requests.get(f"{gateway}/flower/", headers=bearer(staff_token), timeout=10)
    session = admin_sign_in(gateway, "/admin/users/", ADMIN_EMAIL, ADMIN_PASSWORD)
    signed_in = session.get(f"{gateway}/flower/", timeout=10)

    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].endswith("/admin/users/login/?next=/flower/")
    assert as_donor.status_code == 403
    assert as_staff.status_code == 200
    assert "Flower" in as_staff.text
    assert signed_in.status_code == 200


def test_the_celery_workers_of_pledge_and_payment_run(gateway: str, staff_token: str) -> None:
    response = requests.get(
        f"{gateway}/flower/api/workers?refresh=1", headers=bearer(staff_token), timeout=30
    )

    assert response.status_code == 200
    workers = response.json()
    assert any(name.startswith("pledge@") for name in workers), workers
    assert any(name.startswith("payment@") for name in workers), workers
