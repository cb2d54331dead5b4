"""The staff admin end to end (issue 15), through the gateway: the admin's writes have the API's
effects, its links open the right objects, its dashboard and export agree with the API."""

from __future__ import annotations

import csv
import io
import re
import uuid
from typing import Any

import MySQLdb
import pytest
import requests

from integration.conftest import Platform
from integration.support import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    bearer,
    create_campaign,
    get_campaign,
    local_platform,
    make_pledge,
    wait_until,
)
from integration.test_admin import admin_sign_in

CAMPAIGNS = "/admin/campaigns/campaign/"
# A currency no other end-to-end test uses: the dashboard's row for it is this module's alone.
CURRENCY = "sek"


@pytest.fixture(scope="module")
def staff(gateway: str) -> requests.Session:
    """One session signed in to every admin (each keeps its cookies on its own path)."""
    session = admin_sign_in(gateway, "/admin/", ADMIN_EMAIL, ADMIN_PASSWORD)
    for prefix in ("/admin/pledges/", "/admin/payments/"):
        signed_in = admin_sign_in(gateway, prefix, ADMIN_EMAIL, ADMIN_PASSWORD)
        session.cookies.update(signed_in.cookies)
    return session


def csrf_token(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    return token.group(1)


def admin_post(
    session: requests.Session,
    gateway: str,
    path: str,
    data: dict[str, Any],
    form_page: str | None = None,
) -> requests.Response:
    """POST an admin form as a browser does: its CSRF token, a Referer of the same origin.

    The token comes from the form's own page, or from ``form_page`` when that page may already
    refuse a GET (a delete page, once the read model counts a pledge).
    """
    url = f"{gateway}{path}"
    token = csrf_token(session, f"{gateway}{form_page or path}")
    body = {"csrfmiddlewaretoken": token, **data}
    return session.post(url, data=body, headers={"Referer": url}, timeout=30)


def pay(gateway: str, pledge_id: int, method: str, token: str) -> dict[str, Any]:
    response = requests.post(
        f"{gateway}/api/payments",
        json={"pledge_id": pledge_id, "payment_method": method},
        headers={"Idempotency-Key": uuid.uuid4().hex, **bearer(token)},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    payment: dict[str, Any] = response.json()
    return payment


def closes_within_5_s(gateway: str, campaign_id: int) -> float:
    """How long after the close a pledge is refused (409), asked every 50 ms."""

    def refused() -> bool:
        status = make_pledge(gateway, campaign_id, 100).status_code
        assert status in (201, 409), status
        return status == 409

    return wait_until(refused, timeout=5.0)


def test_closing_from_the_admin_refuses_pledges_within_5_s_as_the_api_does(
    gateway: str, staff_token: str, staff: requests.Session
) -> None:
    by_admin = create_campaign(gateway, staff_token)
    by_api = create_campaign(gateway, staff_token)
    for campaign in (by_admin, by_api):
        assert make_pledge(gateway, int(str(campaign["id"])), 500).status_code == 201

    closed = admin_post(
        staff,
        gateway,
        CAMPAIGNS,
        {"action": "close_campaigns", "_selected_action": [by_admin["id"]], "post": "yes"},
    )
    admin_took = closes_within_5_s(gateway, int(str(by_admin["id"])))
    patched = requests.patch(
        f"{gateway}/api/campaigns/{by_api['id']}",
        json={"status": "closed"},
        headers=bearer(staff_token),
        timeout=10,
    )
    api_took = closes_within_5_s(gateway, int(str(by_api["id"])))

    assert closed.status_code == 200, closed.text[:500]
    assert "1 campaign(s) now closed." in closed.text
    assert patched.status_code == 200
    assert get_campaign(gateway, int(str(by_admin["id"])))["status"] == "closed"
    assert admin_took < 5
    assert api_took < 5


def test_deleting_a_campaign_that_has_a_pledge_is_refused_from_the_admin(
    gateway: str, staff_token: str, staff: requests.Session
) -> None:
    campaign = create_campaign(gateway, staff_token)
    campaign_id = int(str(campaign["id"]))
    assert make_pledge(gateway, campaign_id, 700).status_code == 201

    # At once, before the read model may have heard of the pledge: pledge_service decides.
    deletion = admin_post(
        staff,
        gateway,
        f"{CAMPAIGNS}{campaign_id}/delete/",
        {"post": "yes"},
        form_page=f"{CAMPAIGNS}{campaign_id}/change/",
    )

    assert deletion.status_code == 403
    assert get_campaign(gateway, campaign_id)["id"] == campaign_id


def sek(amount: int) -> str:
    return f"SEK {amount // 100:,}.{amount % 100:02d}"


def dashboard_row(page: str, section: str) -> str:
    """The ``sek`` row of one of the dashboard's tables, as HTML."""
    table = re.search(rf'<div class="module" id="{section}">(.*?)</div>', page, re.S)
    assert table, section
    row = re.search(rf'<tr class="currency-{CURRENCY}">(.*?)</tr>', table.group(1), re.S)
    assert row, (section, table.group(1)[:800])
    return row.group(1)


def cells(row: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)
    ]


def test_the_dashboard_shows_the_apis_totals_and_the_export_sums_to_them(
    gateway: str, staff_token: str, staff: requests.Session, donor: Any
) -> None:
    campaign = create_campaign(gateway, staff_token, currency=CURRENCY, goal_amount=500_000)
    campaign_id = int(str(campaign["id"]))
    pledges = [
        make_pledge(gateway, campaign_id, amount, token=donor.access).json()
        for amount in (12_500, 4_000, 999)
    ]
    guest_email = f"guest-{uuid.uuid4().hex[:8]}@example.org"
    guest = make_pledge(gateway, campaign_id, 350, donor_name="Guest", donor_email=guest_email)
    assert guest.status_code == 201
    captured = pay(gateway, int(pledges[0]["id"]), "pm_card_visa", donor.access)
    pay(gateway, int(pledges[1]["id"]), "pm_card_chargeDeclined", donor.access)

    def settled() -> bool:
        now = get_campaign(gateway, campaign_id)
        return (now["captured_amount"], now["failed_amount"], now["total_payments"]) == (
            12_500,
            4_000,
            1,
        )

    wait_until(settled, timeout=15)
    api = get_campaign(gateway, campaign_id)
    page = staff.get(f"{gateway}/admin/", timeout=10)
    export = staff.get(f"{gateway}{CAMPAIGNS}{campaign_id}/donations.csv", timeout=30)

    assert page.status_code == 200
    totals = cells(dashboard_row(page.text, "totals"))
    assert totals == [
        "SEK",
        "1",
        str(api["total_pledges"]),
        sek(int(str(api["pending_amount"]))),
        sek(int(str(api["authorized_amount"]))),
        sek(int(str(api["captured_amount"]))),
        sek(int(str(api["failed_amount"]))),
        sek(int(str(api["refunded_amount"]))),
        sek(int(str(api["current_amount"]))),
        str(api["total_payments"]),
    ]
    assert totals[2:] == [
        "4",
        "SEK 13.49",
        "SEK 0.00",
        "SEK 125.00",
        "SEK 40.00",
        "SEK 0.00",
        "SEK 125.00",
        "1",
    ]
    today = cells(dashboard_row(page.text, "donations-today"))
    assert today == [
        "SEK",
        "4",
        "SEK 178.49",
        "2 · SEK 13.49",
        "0 · SEK 0.00",
        "1 · SEK 125.00",
        "0 · SEK 0.00",
        "1 · SEK 40.00",
    ]

    assert export.status_code == 200
    assert export.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert len(rows) == api["total_pledges"]
    by_status: dict[str, int] = {}
    for row in rows:
        amount = int(row["amount"].replace(".", ""))
        by_status[row["status"]] = by_status.get(row["status"], 0) + amount
    assert by_status == {"PENDING": 1_349, "CAPTURED": 12_500, "FAILED": 4_000}
    assert {row["email"] for row in rows if row["donor"] == "Guest"} == {guest_email}
    assert {row["email"] for row in rows if row["donor"] != "Guest"} == {donor.email}
    [paid] = [row for row in rows if row["pledge_id"] == str(pledges[0]["id"])]
    assert paid["payment_id"] == str(captured["id"])


def test_a_donation_links_to_its_pledge_and_payment_in_their_admins(
    gateway: str, staff_token: str, staff: requests.Session, donor: Any
) -> None:
    campaign = create_campaign(gateway, staff_token)
    campaign_id = int(str(campaign["id"]))
    pledge = make_pledge(gateway, campaign_id, 2_500, token=donor.access).json()
    payment = pay(gateway, int(pledge["id"]), "pm_card_visa", donor.access)
    wait_until(lambda: get_campaign(gateway, campaign_id)["total_payments"] == 1, timeout=15)

    page = staff.get(f"{gateway}{CAMPAIGNS}{campaign_id}/change/", timeout=10).text
    links = re.findall(r'<a href="(/admin/(?:pledges|payments)/[^"]+/change/)">#(\d+)</a>', page)
    pledge_page = staff.get(f"{gateway}{links[0][0]}", timeout=10)
    payment_page = staff.get(f"{gateway}{links[1][0]}", timeout=10)

    assert links == [
        (f"/admin/pledges/pledges/pledge/{pledge['id']}/change/", str(pledge["id"])),
        (f"/admin/payments/payments/payment/{payment['id']}/change/", str(payment["id"])),
    ]
    assert pledge_page.status_code == 200
    assert donor.email in pledge_page.text
    assert f'href="{CAMPAIGNS}{campaign_id}/change/"' in pledge_page.text
    assert payment_page.status_code == 200
    assert str(payment["provider_payment_id"]) in payment_page.text


def pledge_outbox(platform: Platform, sql: str, *args: object) -> list[tuple[Any, ...]]:
    conn = MySQLdb.connect(
        host="127.0.0.1", user="root", password="", database=f"{platform.database_prefix}pledge"
    )
    try:
        cursor = conn.cursor()
        cursor.execute(sql, args)
        conn.commit()
        return list(cursor.fetchall())
    finally:
        conn.close()


def dead_letters_shown(staff: requests.Session, gateway: str) -> int:
    page = staff.get(f"{gateway}/admin/", timeout=10).text
    row = re.search(r'<tr id="outbox-pledge">(.*?)</tr>', page, re.S)
    assert row, page[:800]
    shown = re.search(
        r'<a class="attention" href="/admin/pledges/outbox/outboxevent/\?status__exact=dead">'
        r"(\d+) to replay</a>",
        row.group(1),
    )
    return int(shown.group(1)) if shown else 0


def test_a_dead_letter_shows_on_the_dashboard_and_its_link_replays_it(
    platform: Platform, gateway: str, staff_token: str, staff: requests.Session
) -> None:
    local_platform(platform)
    campaign = create_campaign(gateway, staff_token)
    pledge = make_pledge(gateway, int(str(campaign["id"])), 800).json()
    query = "SELECT id FROM outbox_outboxevent WHERE aggregate_id = %s AND status = 'sent'"
    wait_until(lambda: bool(pledge_outbox(platform, query, pledge["id"])), timeout=10)
    [(row_id,)] = pledge_outbox(platform, query, pledge["id"])
    before = dead_letters_shown(staff, gateway)
    # A delivered row parked as if the consumer had refused it: replaying it is harmless, the
    # consumer applies each event id once.
    pledge_outbox(platform, "UPDATE outbox_outboxevent SET status = 'dead' WHERE id = %s", row_id)

    shown = dead_letters_shown(staff, gateway)
    listing = staff.get(
        f"{gateway}/admin/pledges/outbox/outboxevent/?status__exact=dead", timeout=10
    )
    replayed = admin_post(
        staff,
        gateway,
        "/admin/pledges/outbox/outboxevent/?status__exact=dead",
        {"action": "replay", "_selected_action": [row_id], "index": 0},
    )
    status = "SELECT status FROM outbox_outboxevent WHERE id = %s"
    wait_until(lambda: pledge_outbox(platform, status, row_id) == [("sent",)], timeout=10)

    assert shown == before + 1
    assert listing.status_code == 200
    assert "Replay the selected dead letters" in listing.text
    assert replayed.status_code == 200
    assert "1 event(s) queued for delivery again." in replayed.text
    assert dead_letters_shown(staff, gateway) == before
