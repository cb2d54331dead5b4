"""The plans admin (SPEC §3): list and filter plans, a plan's installments with their pledge
and payment links, and a cancel action that goes through the service."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from careforall_common.admin import admin_url
from plans.models import RecurringPlan
from plans.tests.conftest import FakePaymentService
from plans.tests.factories import active_plan, first_pledge, outbox

pytestmark = pytest.mark.django_db

PLANS = "/admin/pledges/plans/recurringplan/"


@pytest.fixture
def admin_client(client: Any) -> Any:
    user = get_user_model().objects.create_superuser("staff@example.org", "staff@example.org")
    client.force_login(user)
    return client


@pytest.fixture
def plan(
    client: Any, donor_client: Any, active_campaign: int, payment_service: FakePaymentService
) -> RecurringPlan:
    return active_plan(client, donor_client)


def test_the_list_filters_by_status_and_campaign(admin_client: Any, plan: RecurringPlan) -> None:
    listing = admin_client.get(PLANS, {"status__exact": "active", "campaign_id": 7})
    empty = admin_client.get(PLANS, {"status__exact": "canceled"})

    assert listing.status_code == 200
    assert [p.pk for p in listing.context["cl"].result_list] == [plan.pk]
    assert list(empty.context["cl"].result_list) == []


def test_a_plan_shows_its_installments_linked_to_pledge_and_payment(
    admin_client: Any, plan: RecurringPlan
) -> None:
    page = admin_client.get(f"{PLANS}{plan.pk}/change/")

    pledge = first_pledge(plan)
    assert page.status_code == 200
    assert admin_url("pledge", pledge.pk) in page.content.decode()
    assert admin_url("payment", None, pledge_id=pledge.pk).replace("&", "&amp;") in (
        page.content.decode()
    )


def test_the_cancel_action_cancels_through_the_service(
    admin_client: Any, plan: RecurringPlan
) -> None:
    response = admin_client.post(PLANS, {"action": "cancel_plans", "_selected_action": [plan.pk]})

    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.status, plan.cancel_reason) == ("canceled", "staff")
    assert outbox("PLAN_CHANGED")[-1].payload["status"] == "canceled"


def test_the_list_shows_what_a_plan_adds_to_its_campaign_s_monthly_figure(
    admin_client: Any, plan: RecurringPlan
) -> None:
    listing = admin_client.get(PLANS)

    assert "Counted monthly" in listing.content.decode()
    assert "$15.00" in listing.content.decode()
