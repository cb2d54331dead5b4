"""3-D Secure completed by the donor: the plan's pending authentication, and
POST /api/recurring/{id}/installments/{pledge id}/authenticate (docs/recurring.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.utils import timezone

from careforall_common.outbox.models import OutboxEvent
from plans.models import Installment, RecurringPlan
from plans.periods import period_start
from plans.services.schedule import plans_charge_due
from plans.tests.conftest import FakePaymentService
from plans.tests.factories import GUEST_PLAN_BODY, active_plan, payment_outcome
from plans.tokens import manage_token
from pledges.models import Pledge
from pledges.receipts import receipt_token

pytestmark = pytest.mark.django_db

ANCHOR = datetime(2030, 1, 31, 10, 0, tzinfo=UTC)
AUTH = "authentication_required"


@pytest.fixture(autouse=True)
def _setup(active_campaign: int, payment_service: FakePaymentService) -> None:
    pass


def charge_next(plan: RecurringPlan) -> Pledge:
    """Make the plan's next installment now (the scheduler); return its pledge."""
    RecurringPlan.objects.filter(pk=plan.pk).update(next_charge_at=timezone.now())
    plans_charge_due(drain_seconds=5)
    installment = plan.installments.exclude(pledge=None).latest("id")
    assert installment.pledge is not None
    return installment.pledge


def declined_for_3ds(
    client: Any, api_client: Any, body: Any = None
) -> tuple[RecurringPlan, Pledge]:
    """An active plan whose period-1 installment was declined with ``authentication_required``."""
    plan = active_plan(client, api_client, anchor=ANCHOR, body=body)
    declined = charge_next(plan)
    payment_outcome(client, "PAYMENT_FAILED", declined, error=AUTH)
    plan.refresh_from_db()
    return plan, declined


def authenticate(api_client: Any, plan: RecurringPlan, pledge_id: int, query: str = "") -> Any:
    path = f"/api/recurring/{plan.pk}/installments/{pledge_id}/authenticate{query}"
    return api_client.post(path, {}, format="json")


def test_the_plan_names_its_pending_authentication(client: Any, donor_client: Any) -> None:
    plan, declined = declined_for_3ds(client, donor_client)

    read = donor_client.get(f"/api/recurring/{plan.pk}").json()
    listed = donor_client.get("/api/recurring").json()["results"]

    assert read["pending_authentication"] == {"pledge_id": declined.pk}
    assert [p["pending_authentication"] for p in listed] == [{"pledge_id": declined.pk}]


def test_a_card_decline_is_no_pending_authentication(client: Any, donor_client: Any) -> None:
    plan = active_plan(client, donor_client, anchor=ANCHOR)
    declined = charge_next(plan)
    payment_outcome(client, "PAYMENT_FAILED", declined, error="card_declined")

    assert donor_client.get(f"/api/recurring/{plan.pk}").json()["pending_authentication"] is None
    assert authenticate(donor_client, plan, declined.pk).status_code == 404


def test_authenticating_makes_the_next_attempt_and_asks_for_its_payment(
    client: Any, donor_client: Any, payment_service: FakePaymentService
) -> None:
    plan, declined = declined_for_3ds(client, donor_client)
    assert (plan.next_period, plan.next_attempt) == (1, 2)  # the scheduled retry
    due_before = OutboxEvent.objects.filter(event_type="INSTALLMENT_DUE").count()

    response = authenticate(donor_client, plan, declined.pk)

    assert response.status_code == 201, response.content
    body = response.json()
    attempt = Installment.objects.get(plan=plan, period=1, attempt=2)
    assert attempt.by_donor is True
    assert attempt.pledge is not None
    assert body["pledge"]["id"] == attempt.pledge.pk
    assert (body["pledge"]["status"], body["pledge"]["plan_id"]) == ("PENDING", plan.pk)
    assert body["payment"]["client_secret"] == "pi_secret"
    assert payment_service.calls[-1] == (
        f"/internal/plans/{plan.pk}/authenticated-payment",
        {
            "plan_id": plan.pk,
            "pledge_id": attempt.pledge.pk,
            "campaign_id": 7,
            "user_id": 2,
            "amount": 1_500,
            "currency": "usd",
            "receipt_token_hash": None,
        },
    )
    # The scheduled retry of the period is superseded; nothing is charged off-session.
    plan.refresh_from_db()
    assert (plan.next_period, plan.next_attempt) == (2, 1)
    assert plan.next_charge_at == period_start(anchor=ANCHOR, interval="month", period=2)
    assert OutboxEvent.objects.filter(event_type="INSTALLMENT_DUE").count() == due_before
    created = OutboxEvent.objects.filter(
        event_type="PLEDGE_CREATED", aggregate_id=attempt.pledge.pk
    )
    assert created.count() == 1
    assert donor_client.get(f"/api/recurring/{plan.pk}").json()["pending_authentication"] is None


def test_a_repeat_while_pending_answers_the_same_attempt(client: Any, donor_client: Any) -> None:
    plan, declined = declined_for_3ds(client, donor_client)
    first = authenticate(donor_client, plan, declined.pk)

    again = authenticate(donor_client, plan, declined.pk)

    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["pledge"]["id"] == first.json()["pledge"]["id"]
    assert again.json()["payment"]["id"] == first.json()["payment"]["id"]
    assert Installment.objects.filter(plan=plan, period=1).count() == 2


def test_payment_service_down_is_503_and_a_repeat_finishes_it(
    client: Any, donor_client: Any, payment_service: FakePaymentService
) -> None:
    plan, declined = declined_for_3ds(client, donor_client)
    payment_service.failing = 503
    assert authenticate(donor_client, plan, declined.pk).status_code == 503

    payment_service.failing = None
    again = authenticate(donor_client, plan, declined.pk)

    assert again.status_code == 201
    assert Installment.objects.filter(plan=plan, period=1).count() == 2


def test_once_the_attempt_is_settled_it_is_409(client: Any, donor_client: Any) -> None:
    plan, declined = declined_for_3ds(client, donor_client)
    made = authenticate(donor_client, plan, declined.pk).json()["pledge"]
    payment_outcome(client, "PAYMENT_CAPTURED", Pledge.objects.get(pk=made["id"]))

    response = authenticate(donor_client, plan, declined.pk)

    assert response.status_code == 409
    assert response.json()["pledge_id"] == made["id"]
    plan.refresh_from_db()
    assert (plan.status, plan.installments_charged) == ("active", 2)


def test_the_scheduler_s_retry_made_first_makes_it_409_and_never_two_attempts(
    client: Any, donor_client: Any
) -> None:
    plan, declined = declined_for_3ds(client, donor_client)
    retry = charge_next(plan)  # the retry fell due before the donor came back

    response = authenticate(donor_client, plan, declined.pk)

    assert response.status_code == 409
    assert (response.json()["pledge_id"], response.json()["attempt"]) == (retry.pk, 2)
    assert Installment.objects.filter(plan=plan, period=1).count() == 2


def test_after_authenticating_the_scheduler_makes_no_retry_of_that_period(
    client: Any, donor_client: Any
) -> None:
    plan, declined = declined_for_3ds(client, donor_client)
    authenticate(donor_client, plan, declined.pk)

    plans_charge_due(drain_seconds=5)  # the retry's time was moved on to period 2

    assert Installment.objects.filter(plan=plan, period=1).count() == 2
    assert not Installment.objects.filter(plan=plan, period=2).exists()


def test_a_canceled_plan_is_409_and_has_nothing_pending(client: Any, donor_client: Any) -> None:
    plan, declined = declined_for_3ds(client, donor_client)
    donor_client.post(f"/api/recurring/{plan.pk}/cancel", {}, format="json")

    assert authenticate(donor_client, plan, declined.pk).status_code == 409
    assert donor_client.get(f"/api/recurring/{plan.pk}").json()["pending_authentication"] is None


def test_another_plan_s_pledge_or_another_donor_is_404(
    client: Any, donor_client: Any, other_donor_client: Any
) -> None:
    plan, declined = declined_for_3ds(client, donor_client)

    assert authenticate(donor_client, plan, declined.pk + 1000).status_code == 404
    assert authenticate(other_donor_client, plan, declined.pk).status_code == 404
    assert Installment.objects.filter(plan=plan, period=1).count() == 1


def test_a_guest_with_the_manage_token_gets_the_new_pledge_s_receipt_token(
    client: Any, guest_client: Any
) -> None:
    plan, declined = declined_for_3ds(client, guest_client, body=GUEST_PLAN_BODY)
    assert plan.manage_nonce is not None
    query = f"?manage_token={manage_token(nonce=plan.manage_nonce)}"

    response = authenticate(guest_client, plan, declined.pk, query)

    assert response.status_code == 201, response.content
    pledge = Pledge.objects.get(pk=response.json()["pledge"]["id"])
    assert pledge.receipt_nonce is not None
    assert response.json()["pledge"]["receipt_token"] == receipt_token(nonce=pledge.receipt_nonce)
    assert authenticate(guest_client, plan, declined.pk).status_code == 401  # no token at all
