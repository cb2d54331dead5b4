"""CAMPAIGN_CHANGED (SPEC §4): written with every change of a published fact, in its transaction."""

from __future__ import annotations

from typing import Any

import pytest

from campaigns.models import Campaign, PaymentEvent
from campaigns.tests.factories import campaign_make
from careforall_common.outbox.models import OutboxEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pledge_holds")]

CHANGELIST = "/admin/campaigns/campaign/"


def events() -> list[tuple[str, str, int, str, dict[str, Any]]]:
    return [
        (row.event_type, row.aggregate_type, row.aggregate_id, row.destination, row.payload)
        for row in OutboxEvent.objects.order_by("id")
    ]


def changed(campaign_id: int, status: str, currency: str, goal_amount: int) -> tuple[Any, ...]:
    payload = {
        "campaign_id": campaign_id,
        "status": status,
        "currency": currency,
        "goal_amount": goal_amount,
    }
    return ("CAMPAIGN_CHANGED", "campaign", campaign_id, "pledge", payload)


def test_create_update_and_delete_publish_the_facts(staff_client: Any) -> None:
    body = {"title": "Books", "description": "", "goal_amount": 9_000, "currency": "eur"}

    campaign_id = staff_client.post("/api/campaigns", body, format="json").json()["id"]
    staff_client.patch(f"/api/campaigns/{campaign_id}", {"status": "active"}, format="json")
    staff_client.patch(f"/api/campaigns/{campaign_id}", {"goal_amount": 12_000}, format="json")
    staff_client.delete(f"/api/campaigns/{campaign_id}")

    assert events() == [
        changed(campaign_id, "draft", "eur", 9_000),
        changed(campaign_id, "active", "eur", 9_000),
        changed(campaign_id, "active", "eur", 12_000),
        changed(campaign_id, "deleted", "eur", 12_000),
    ]
    row = OutboxEvent.objects.first()
    assert row is not None
    assert (row.source, row.status) == ("campaign", "pending")


def test_a_currency_change_publishes(staff_client: Any) -> None:
    campaign = campaign_make(currency="usd")

    staff_client.patch(f"/api/campaigns/{campaign.pk}", {"currency": "gbp"}, format="json")

    assert events() == [changed(campaign.pk, "active", "gbp", 500_000)]


@pytest.mark.parametrize(
    "body", [{"title": "Renamed"}, {"description": "New text"}, {"status": "active"}]
)
def test_a_change_of_nothing_published_publishes_nothing(staff_client: Any, body: Any) -> None:
    campaign = campaign_make(status="active")

    response = staff_client.patch(f"/api/campaigns/{campaign.pk}", body, format="json")

    assert response.status_code == 200
    assert events() == []


def test_a_refused_change_publishes_nothing(staff_client: Any) -> None:
    campaign = campaign_make(status="closed")

    response = staff_client.patch(
        f"/api/campaigns/{campaign.pk}", {"status": "active"}, format="json"
    )

    assert response.status_code == 409
    assert events() == []


def test_a_rolled_back_delete_takes_its_event_with_it(staff_client: Any) -> None:
    # No pledge counted yet, but a payment event protects the campaign: the delete fails after
    # the event was written, and the transaction takes both back.
    campaign = campaign_make()
    PaymentEvent.objects.create(
        payment_id=1,
        event_type="PAYMENT_CAPTURED",
        pledge_id=1,
        campaign=campaign,
        amount=100,
        currency="usd",
        occurred_at="2025-03-01T12:00:00Z",
        event_id="6f1c1a8e-1f40-4a55-9d36-0f3b6f8f2a11",
    )

    response = staff_client.delete(f"/api/campaigns/{campaign.pk}")

    assert response.status_code == 409
    assert response.json()["detail"] == "A campaign with pledges cannot be deleted."
    assert Campaign.objects.filter(pk=campaign.pk).exists()
    assert events() == []


def test_admin_add_edit_and_delete_publish(admin_client: Any) -> None:
    # The admin takes the goal in major units: 10.00 dollars are 1,000 cents.
    form = {"title": "New", "description": "", "goal_amount": "10.00", "currency": "usd"}

    admin_client.post(f"{CHANGELIST}add/", {**form, "status": "draft"})
    campaign = Campaign.objects.get()
    admin_client.post(
        f"{CHANGELIST}{campaign.pk}/change/", {**form, "title": "Renamed", "status": "draft"}
    )
    admin_client.post(f"{CHANGELIST}{campaign.pk}/change/", {**form, "status": "active"})
    admin_client.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [campaign.pk], "post": "yes"},
    )

    assert events() == [
        changed(campaign.pk, "draft", "usd", 1_000),
        changed(campaign.pk, "active", "usd", 1_000),
        changed(campaign.pk, "deleted", "usd", 1_000),
    ]
    assert not Campaign.objects.exists()


def test_admin_single_delete_publishes(admin_client: Any) -> None:
    campaign = campaign_make(currency="eur", goal_amount=3_000, status="closed")

    response = admin_client.post(f"{CHANGELIST}{campaign.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert events() == [changed(campaign.pk, "deleted", "eur", 3_000)]


def test_closing_publishes_so_that_pledge_service_cancels_the_plans(
    staff_client: Any, admin_client: Any
) -> None:
    # SPEC §3 "Recurring gifts": pledge_service cancels a closed campaign's plans on this event.
    by_api, by_admin = campaign_make(goal_amount=1_000), campaign_make(goal_amount=2_000)

    staff_client.patch(f"/api/campaigns/{by_api.pk}", {"status": "closed"}, format="json")
    admin_client.post(
        CHANGELIST,
        {"action": "close_campaigns", "_selected_action": [by_admin.pk], "post": "yes"},
    )

    assert events() == [
        changed(by_api.pk, "closed", "usd", 1_000),
        changed(by_admin.pk, "closed", "usd", 2_000),
    ]
