"""The staff dashboard at the admin's index (issue 15): figures from the read model."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import transaction

from campaigns.models import Campaign
from campaigns.tests.factories import (
    campaign_make,
    payment_event,
    payment_refunded,
    plan_changed,
    pledge_events,
    pledge_payload,
)
from careforall_common.outbox.models import OutboxEvent, OutboxStatus
from careforall_common.outbox.services import outbox_write
from dashboard.selectors import dashboard_figures
from dashboard.tests.conftest import Outboxes
from reconciliation.models import ReconciliationRun

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("outboxes")]

INDEX = "/admin/"
# A Wednesday: "this week" starts on Monday 2025-03-03 at midnight UTC.
NOW = datetime(2025, 3, 5, 15, 0, tzinfo=UTC)


def made(campaign: Campaign, pledge_id: int, status: str, amount: int, at: str) -> dict[str, Any]:
    return pledge_payload(
        campaign,
        pledge_id=pledge_id,
        status=status,
        amount=amount,
        created_at=at,
        currency=campaign.currency,
    )


def project(deliver: Any, *pledges: dict[str, Any]) -> None:
    events = [event for pledge in pledges for event in pledge_events(pledge)]
    assert set(deliver(*events)) == {"processed"}


def test_the_recurring_gifts_line_shows_active_plans_and_their_monthly_amount_per_currency(
    admin_client: Any, deliver: Any
) -> None:
    water, books = campaign_make(), campaign_make()
    euro = campaign_make(currency="eur")
    outcome = deliver(
        plan_changed(water, plan_id=1, amount=1_000),
        plan_changed(books, plan_id=2, amount=6_000, interval="year", status="past_due"),
        plan_changed(books, plan_id=3, amount=900, status="paused"),
        plan_changed(euro, plan_id=4, amount=2_500, currency="eur"),
    )
    assert outcome == ["processed"] * 4

    page = admin_client.get(INDEX)

    totals = {row["currency"]: row for row in page.context["totals"]}
    assert (totals["usd"]["active_plans"], totals["usd"]["monthly_recurring_amount"]) == (2, 1_500)
    assert (totals["eur"]["active_plans"], totals["eur"]["monthly_recurring_amount"]) == (1, 2_500)
    content = page.content.decode()
    assert 'id="recurring"' in content
    assert '<td class="figure monthly-recurring">$15.00</td>' in content
    assert '<td class="figure monthly-recurring">€25.00</td>' in content


def test_the_index_needs_staff(client: Any) -> None:
    response = client.get(INDEX)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_totals_equal_the_apis(admin_client: Any, staff_client: Any, deliver: Any) -> None:
    water, books = campaign_make(), campaign_make(status="closed")
    euro = campaign_make(currency="eur")
    project(
        deliver,
        made(water, 1, "CAPTURED", 5_000, "2025-03-05T09:00:00Z"),
        made(water, 2, "PENDING", 1_250, "2025-03-05T10:00:00Z"),
        made(water, 3, "FAILED", 700, "2025-03-05T11:00:00Z"),
        made(books, 4, "AUTHORIZED", 300, "2025-03-04T11:00:00Z"),
        made(books, 5, "CAPTURED", 99, "2025-02-01T11:00:00Z"),
        made(euro, 6, "CAPTURED", 2_000, "2025-03-05T12:00:00Z"),
    )
    deliver(
        payment_event("PAYMENT_CAPTURED", water, payment_id=11, pledge_id=1, amount=5_000),
        payment_event("PAYMENT_CAPTURED", books, payment_id=12, pledge_id=5, amount=99),
        payment_refunded(water, refund_id=1, payment_id=11, pledge_id=1, amount=1_000),
    )

    page = admin_client.get(INDEX)
    api = [
        staff_client.get(f"/api/campaigns/{campaign.pk}").json()
        for campaign in (water, books, euro)
    ]

    assert page.status_code == 200
    assert page.templates[0].name == "admin/dashboard.html"
    totals = {row["currency"]: row for row in page.context["totals"]}
    for currency in ("usd", "eur"):
        answers = [campaign for campaign in api if campaign["currency"] == currency]
        for name in [
            "pending_amount",
            "authorized_amount",
            "captured_amount",
            "failed_amount",
            "refunded_amount",
        ]:
            assert totals[currency][name] == sum(c[name] for c in answers), (currency, name)
        assert totals[currency]["total_pledges"] == sum(c["total_pledges"] for c in answers)
        assert totals[currency]["total_payments"] == sum(c["total_payments"] for c in answers)
    assert (totals["usd"]["captured_amount"], totals["usd"]["total_payments"]) == (5_099, 2)
    content = page.content.decode()
    for shown in ["$50.99", "$12.50", "$3.00", "$7.00", "€20.00"]:
        assert f">{shown}<" in content, shown
    # Raised, as current_amount: $50.99 captured less $10.00 refunded.
    water_now = next(c for c in api if c["id"] == water.pk)
    assert water_now["current_amount"] == 4_000
    assert '<td class="figure raised">$40.99</td>' in content
    assert '<td class="figure refunded">$10.00</td>' in content


def test_todays_and_this_weeks_donations_per_currency(deliver: Any) -> None:
    usd, eur = campaign_make(), campaign_make(currency="eur")
    project(
        deliver,
        made(usd, 1, "CAPTURED", 5_000, "2025-03-05T09:00:00Z"),  # today
        made(usd, 2, "FAILED", 700, "2025-03-05T00:00:00Z"),  # today, at midnight
        made(usd, 6, "REFUNDED", 300, "2025-03-05T08:00:00Z"),  # today, refunded since
        made(usd, 3, "PENDING", 1_250, "2025-03-03T00:00:00Z"),  # Monday: this week
        made(usd, 4, "CAPTURED", 99, "2025-03-02T23:59:59Z"),  # Sunday: last week
        made(eur, 5, "AUTHORIZED", 2_000, "2025-03-04T12:00:00Z"),  # this week
    )

    figures = dashboard_figures(now=NOW)

    today, week = figures["periods"]
    assert (today["name"], today["since"]) == ("today", datetime(2025, 3, 5, tzinfo=UTC))
    assert (week["name"], week["since"]) == ("this week", datetime(2025, 3, 3, tzinfo=UTC))
    [usd_today] = today["currencies"]
    assert (usd_today.currency, usd_today.donations, usd_today.amount) == ("usd", 3, 6_000)
    assert usd_today.cells == ["0 · $0.00", "0 · $0.00", "1 · $50.00", "1 · $3.00", "1 · $7.00"]
    eur_week, usd_week = week["currencies"]
    assert (usd_week.donations, usd_week.amount, usd_week.amount_shown) == (4, 7_250, "$72.50")
    assert (eur_week.donations, eur_week.amount) == (1, 2_000)
    assert eur_week.cells[1] == "1 · €20.00"
    assert figures["statuses"] == ["Pending", "Authorized", "Captured", "Refunded", "Failed"]


def test_dead_letters_of_each_outbox_show_with_their_replay_link(
    admin_client: Any, outboxes: Outboxes
) -> None:
    campaign = campaign_make()
    for _ in range(2):
        with transaction.atomic():
            event_id = outbox_write(
                event_type="CAMPAIGN_CHANGED",
                aggregate_type="campaign",
                aggregate_id=campaign.pk,
                payload={},
            )
        OutboxEvent.objects.filter(event_id=event_id).update(status=OutboxStatus.DEAD)
    outboxes.waiting["pledge"] = {"campaign": {"pending": 4, "dead": 3}}
    outboxes.waiting["payment"] = None  # the stand-in answers 503

    content = admin_client.get(INDEX).content.decode()

    assert (
        '<a class="attention" href="/admin/outbox/outboxevent/?status__exact=dead">2 to replay</a>'
        in content
    )
    assert (
        '<a class="attention" href="/admin/pledges/outbox/outboxevent/?status__exact=dead">'
        "3 to replay</a>" in content
    )
    assert "campaign: 4 waiting, 3 dead" in content
    assert '<a href="/admin/payments/outbox/outboxevent/">payment_service</a>' in content
    assert "Not answering: its outbox cannot be read now." in content


def test_the_replay_link_lists_the_dead_letters_with_the_replay_action(
    admin_client: Any,
) -> None:
    page = admin_client.get("/admin/outbox/outboxevent/", {"status__exact": "dead"})

    assert page.status_code == 200
    assert "replay" in page.context["action_form"].fields["action"].choices[1]


def test_the_last_reconciliation_is_shown(admin_client: Any) -> None:
    never = admin_client.get(INDEX).content.decode()
    ReconciliationRun.objects.create(
        started_at=NOW,
        finished_at=NOW,
        trigger="command",
        fix=False,
        campaigns_checked=3,
        campaigns_differing=1,
        differences=2,
        summary="3 campaign(s) checked, 2 difference(s) in 1 campaign(s)",
    )

    content = admin_client.get(INDEX).content.decode()

    assert "Never run" in never
    assert "2025-03-05 15:00:00 UTC (command)" in content
    assert 'class="attention">3 campaign(s) checked, 2 difference(s) in 1 campaign(s)<' in content
    assert "<th>Differences left</th><td>2</td>" in content
    assert 'href="/admin/reconciliation/reconciliationrun/"' in content
