"""Reading and managing a plan (SPEC §3): who may, pause/resume/cancel/amount/card rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from plans.models import RecurringPlan
from plans.services.schedule import plans_charge_due
from plans.tests.conftest import FakePaymentService
from plans.tests.factories import GUEST_PLAN_BODY, PLAN_BODY, active_plan, outbox, plan_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(
    client: Any, donor_client: Any, active_campaign: int, payment_service: FakePaymentService
) -> RecurringPlan:
    return active_plan(client, donor_client)


@pytest.fixture
def guest_plan(
    guest_client: Any, active_campaign: int, payment_service: FakePaymentService
) -> tuple[RecurringPlan, str]:
    response = plan_post(guest_client, GUEST_PLAN_BODY)
    return RecurringPlan.objects.get(pk=response.json()["id"]), response.json()["manage_token"]


def post(client: Any, plan: RecurringPlan, action: str, body: Any = None, query: str = "") -> Any:
    return client.post(f"/api/recurring/{plan.pk}/{action}{query}", body or {}, format="json")


def test_the_donor_and_staff_read_a_plan_others_get_404_and_nobody_401(
    plan: RecurringPlan, donor_client: Any, staff_client: Any, other_donor_client: Any,
    guest_client: Any,
) -> None:  # fmt: skip
    path = f"/api/recurring/{plan.pk}"
    assert donor_client.get(path).json()["status"] == "active"
    assert staff_client.get(path).status_code == 200
    assert other_donor_client.get(path).status_code == 404
    assert guest_client.get(path).status_code == 401
    assert donor_client.get("/api/recurring/999999").status_code == 404


def test_a_manage_token_opens_every_route_of_its_plan(
    guest_plan: tuple[RecurringPlan, str], guest_client: Any, payment_service: FakePaymentService
) -> None:
    plan, token = guest_plan
    query = f"?manage_token={token}"

    assert guest_client.get(f"/api/recurring/{plan.pk}{query}").status_code == 200
    assert guest_client.get(f"/api/recurring/{plan.pk}?manage_token=wrong").status_code == 404
    patched = guest_client.patch(f"/api/recurring/{plan.pk}{query}", {"amount": 700}, format="json")
    assert patched.json()["amount"] == 700
    assert post(guest_client, plan, "payment-method", query=query).status_code == 200
    assert post(guest_client, plan, "cancel", query=query).json()["cancel_reason"] == "donor"
    assert post(guest_client, plan, "cancel").status_code == 401


def test_the_list_shows_one_s_own_plans_and_staff_all_by_campaign(
    plan: RecurringPlan, client: Any, other_donor_client: Any, staff_client: Any,
    donor_client: Any,
) -> None:  # fmt: skip
    other = active_plan(client, other_donor_client)

    assert [p["id"] for p in donor_client.get("/api/recurring").json()["results"]] == [plan.pk]
    staff = staff_client.get("/api/recurring?campaign_id=7").json()
    assert [p["id"] for p in staff["results"]] == [other.pk, plan.pk]
    assert staff_client.get("/api/recurring?campaign_id=8").json()["results"] == []
    assert client.get("/api/recurring").status_code == 401


def test_pause_resume_and_cancel_each_publish_one_plan_changed(
    plan: RecurringPlan, donor_client: Any
) -> None:
    before = len(outbox("PLAN_CHANGED"))

    assert post(donor_client, plan, "pause").json()["status"] == "paused"
    assert post(donor_client, plan, "pause").json()["status"] == "paused"  # no-op
    assert post(donor_client, plan, "resume").json()["status"] == "active"
    assert post(donor_client, plan, "resume").json()["status"] == "active"  # no-op
    canceled = post(donor_client, plan, "cancel").json()
    assert (canceled["status"], canceled["cancel_reason"]) == ("canceled", "donor")
    assert canceled["next_charge_at"] is None
    assert post(donor_client, plan, "cancel").status_code == 200  # no-op

    statuses = [e.payload["status"] for e in outbox("PLAN_CHANGED")[before:]]
    assert statuses == ["paused", "active", "canceled"]


@pytest.mark.parametrize("action", ["pause", "resume"])
def test_pause_or_resume_of_a_canceled_plan_is_409(
    plan: RecurringPlan, donor_client: Any, action: str
) -> None:
    post(donor_client, plan, "cancel")

    assert post(donor_client, plan, action).status_code == 409


def test_an_amount_change_of_a_canceled_plan_is_409(plan: RecurringPlan, donor_client: Any) -> None:
    post(donor_client, plan, "cancel")

    response = donor_client.patch(f"/api/recurring/{plan.pk}", {"amount": 10}, format="json")
    assert response.status_code == 409


def test_an_incomplete_plan_cannot_be_paused(
    donor_client: Any, active_campaign: int, payment_service: FakePaymentService
) -> None:
    plan_id = plan_post(donor_client, PLAN_BODY).json()["id"]

    response = donor_client.post(f"/api/recurring/{plan_id}/pause", {}, format="json")
    assert response.status_code == 409


def test_staff_cancelling_a_donor_s_plan_say_staff(plan: RecurringPlan, staff_client: Any) -> None:
    assert post(staff_client, plan, "cancel").json()["cancel_reason"] == "staff"


def test_a_pause_until_resumes_by_itself_at_the_first_period_after_it(
    plan: RecurringPlan, donor_client: Any
) -> None:
    until = timezone.now() + timedelta(days=40)
    response = post(donor_client, plan, "pause", {"until": until.isoformat()})
    assert response.json()["paused_until"] is not None
    RecurringPlan.objects.filter(pk=plan.pk).update(paused_until=timezone.now())

    plans_charge_due(drain_seconds=5)

    plan.refresh_from_db()
    assert (plan.status, plan.paused_until) == ("active", None)
    assert plan.next_charge_at is not None
    assert plan.next_charge_at > timezone.now()
    assert plan.installments.count() == 1  # nothing charged for the paused periods


def test_a_pause_must_end_in_the_future(plan: RecurringPlan, donor_client: Any) -> None:
    past = datetime(2020, 1, 1, tzinfo=UTC).isoformat()

    assert post(donor_client, plan, "pause", {"until": past}).status_code == 400
    assert post(donor_client, plan, "pause", {"surprise": 1}).status_code == 400


def test_the_new_amount_applies_from_the_next_installment(
    plan: RecurringPlan, donor_client: Any
) -> None:
    response = donor_client.patch(f"/api/recurring/{plan.pk}", {"amount": 2_000}, format="json")
    assert response.json()["amount"] == 2_000
    RecurringPlan.objects.filter(pk=plan.pk).update(next_charge_at=timezone.now())

    plans_charge_due(drain_seconds=5)

    amounts = list(plan.installments.order_by("period").values_list("amount", flat=True))
    assert amounts == [1_500, 2_000]
    assert outbox("PLAN_CHANGED")[-1].payload["amount"] == 2_000


def test_a_guest_plan_s_amount_respects_the_guest_minimum(
    settings: Any, guest_plan: tuple[RecurringPlan, str], guest_client: Any
) -> None:
    settings.MIN_GUEST_AMOUNT = 500
    plan, token = guest_plan

    response = guest_client.patch(
        f"/api/recurring/{plan.pk}?manage_token={token}", {"amount": 499}, format="json"
    )
    assert response.status_code == 400


def test_a_card_change_gives_a_setup_intent_or_sets_the_card(
    plan: RecurringPlan, donor_client: Any, payment_service: FakePaymentService
) -> None:
    intent = post(donor_client, plan, "payment-method").json()
    assert intent == {"client_secret": "seti_1_secret_2", "publishable_key": "pk_test_x"}

    changed = post(donor_client, plan, "payment-method", {"payment_method": "pm_card_mastercard"})

    assert (changed.json()["card_brand"], changed.json()["card_last4"]) == ("mastercard", "4444")
    assert payment_service.calls[-1] == (
        f"/internal/plans/{plan.pk}/card",
        {"plan_id": plan.pk, "payment_method": "pm_card_mastercard"},
    )


def test_a_card_change_when_payment_service_is_down_is_503(
    plan: RecurringPlan, donor_client: Any, payment_service: FakePaymentService
) -> None:
    payment_service.failing = 503

    assert post(donor_client, plan, "payment-method").status_code == 503
