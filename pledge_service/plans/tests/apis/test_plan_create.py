"""POST /api/recurring (SPEC §3): the plan, installment 0 and its pledge in one transaction,
then the first payment from payment_service; the same refusals and replays as pledges."""

from __future__ import annotations

from typing import Any

import pytest

from careforall_common.contracts.receipts import receipt_token_hash
from plans.models import Installment, PlanIdempotencyRecord, RecurringPlan
from plans.tests.conftest import FakePaymentService
from plans.tests.factories import (
    GUEST_PLAN_BODY,
    NOTHING,
    PLAN_BODY,
    outbox,
    plan_post,
    written,
)
from plans.tokens import manage_token
from pledges.models import Pledge
from pledges.receipts import receipt_token
from pledges.tests.factories import campaign_changed, pledge_post

pytestmark = pytest.mark.django_db


def test_a_donor_sets_a_monthly_plan_up_with_its_first_installment(
    donor_client: Any, active_campaign: int, payment_service: FakePaymentService
) -> None:
    response = plan_post(donor_client, PLAN_BODY)

    assert response.status_code == 201, response.content
    plan = RecurringPlan.objects.get()
    installment = Installment.objects.get()
    pledge = Pledge.objects.get()
    body = response.json()
    assert {key: body[key] for key in ("id", "user_id", "amount", "interval", "status")} == {
        "id": plan.pk,
        "user_id": 2,
        "amount": 1_500,
        "interval": "month",
        "status": "incomplete",
    }
    assert set(body) == {
        "id", "campaign_id", "user_id", "donor_name", "anonymous", "amount", "currency",
        "interval", "status", "next_charge_at", "paused_until", "card_brand", "card_last4",
        "installments_charged", "failed_attempts", "cancel_reason", "pending_authentication",
        "created_at", "updated_at", "first_installment",
    }  # fmt: skip
    assert body["first_installment"]["pledge"]["id"] == pledge.pk
    assert body["first_installment"]["pledge"]["plan_id"] == plan.pk
    assert body["first_installment"]["payment"]["client_secret"] == "pi_secret"
    assert (installment.period, installment.attempt, installment.pledge_id) == (0, 1, pledge.pk)
    assert (pledge.plan_id, pledge.status, pledge.amount) == (plan.pk, "PENDING", 1_500)
    assert [(e.destination, e.aggregate_id) for e in outbox("PLAN_CHANGED")] == [
        ("campaign", plan.pk)
    ]
    assert [e.payload["pledge_id"] for e in outbox("PLEDGE_CREATED")] == [pledge.pk]
    assert PlanIdempotencyRecord.objects.get().answered is True


def test_the_first_payment_call_carries_the_documented_contract(
    donor_client: Any, active_campaign: int, payment_service: FakePaymentService
) -> None:
    plan_post(donor_client, {**PLAN_BODY, "payment_method": "pm_card_visa"})

    pledge = Pledge.objects.get()
    assert payment_service.calls == [
        (
            "/internal/plans/first-payment",
            {
                "plan_id": RecurringPlan.objects.get().pk,
                "pledge_id": pledge.pk,
                "campaign_id": 7,
                "user_id": 2,
                "amount": 1_500,
                "currency": "usd",
                "receipt_token_hash": None,
                "donor_email": "user2@example.org",
                "donor_name": "Test Donor",
                "payment_method": "pm_card_visa",
            },
        )
    ]


def test_a_guest_gets_a_manage_token_and_the_pledge_s_receipt_token(
    guest_client: Any, active_campaign: int, payment_service: FakePaymentService
) -> None:
    response = plan_post(guest_client, GUEST_PLAN_BODY)

    assert response.status_code == 201, response.content
    plan = RecurringPlan.objects.get()
    pledge = Pledge.objects.get()
    body = response.json()
    assert plan.manage_nonce is not None
    assert pledge.receipt_nonce is not None
    assert body["manage_token"] == manage_token(nonce=plan.manage_nonce)
    assert plan.manage_token_hash == receipt_token_hash(body["manage_token"])
    assert body["first_installment"]["pledge"]["receipt_token"] == receipt_token(
        nonce=pledge.receipt_nonce
    )
    assert "manage_token" not in PlanIdempotencyRecord.objects.get().response_body
    assert payment_service.calls[0][1]["receipt_token_hash"] == pledge.receipt_token_hash
    assert (plan.donor_email, payment_service.calls[0][1]["donor_email"]) == (
        "Nusrat@Example.org",
        "Nusrat@Example.org",
    )


def test_the_same_key_replays_the_answer_without_calling_again(
    donor_client: Any, active_campaign: int, payment_service: FakePaymentService
) -> None:
    first = plan_post(donor_client, PLAN_BODY)
    again = plan_post(donor_client, PLAN_BODY)

    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert len(payment_service.calls) == 1
    assert written()["plans"] == 1


def test_the_same_key_with_another_body_is_422(
    donor_client: Any, active_campaign: int, payment_service: FakePaymentService
) -> None:
    plan_post(donor_client, PLAN_BODY)
    response = plan_post(donor_client, {**PLAN_BODY, "amount": 9_999})

    assert response.status_code == 422
    assert written()["plans"] == 1


def test_payment_service_down_is_503_and_the_same_key_finishes_the_create(
    donor_client: Any, active_campaign: int, payment_service: FakePaymentService
) -> None:
    payment_service.failing = 503
    down = plan_post(donor_client, PLAN_BODY)
    assert down.status_code == 503
    assert PlanIdempotencyRecord.objects.get().answered is False

    payment_service.failing = None
    again = plan_post(donor_client, PLAN_BODY)

    assert again.status_code == 201
    assert again.json()["first_installment"]["payment"]["status"] == "PROCESSING"
    assert written()["plans"] == 1
    assert written()["pledges"] == 1
    assert PlanIdempotencyRecord.objects.get().answered is True


def test_a_first_payment_made_before_is_answered_from_payment_service_s_409(
    donor_client: Any, active_campaign: int, payment_service: FakePaymentService
) -> None:
    # The first request died after payment_service made the payment, before answering.
    payment_service.failing = 503
    plan_post(donor_client, PLAN_BODY)
    payment_service.failing = None
    pledge = Pledge.objects.get()
    payment_service.first_payment({**PLAN_BODY, "pledge_id": pledge.pk, "currency": "usd"})

    again = plan_post(donor_client, PLAN_BODY)

    assert again.status_code == 201
    assert again.json()["first_installment"]["payment"]["id"] == 100


def test_a_refusal_of_payment_service_is_passed_on_and_the_key_stays_open(
    guest_client: Any, active_campaign: int, payment_service: FakePaymentService
) -> None:
    payment_service.failing = 429
    refused = plan_post(guest_client, GUEST_PLAN_BODY)
    assert refused.status_code == 429

    payment_service.failing = None
    assert plan_post(guest_client, GUEST_PLAN_BODY).status_code == 201
    assert written()["plans"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**PLAN_BODY, "interval": "week"}, "interval"),
        ({**PLAN_BODY, "amount": "1500"}, "amount"),
        ({**PLAN_BODY, "surprise": 1}, "surprise"),
        ({**PLAN_BODY, "donor_name": "Me"}, "donor_name"),
    ],
)
def test_an_invalid_body_is_400_and_writes_nothing(
    donor_client: Any, active_campaign: int, body: Any, field: str
) -> None:
    response = plan_post(donor_client, body)

    assert response.status_code == 400
    assert field in {error["field"] for error in response.json()["errors"]}
    assert written() == NOTHING


def test_a_guest_must_give_a_name_and_an_email(guest_client: Any, active_campaign: int) -> None:
    response = plan_post(guest_client, PLAN_BODY)

    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"donor_name", "donor_email"}
    assert written() == NOTHING


def test_no_key_is_400(donor_client: Any, active_campaign: int) -> None:
    assert plan_post(donor_client, PLAN_BODY, key=None).status_code == 400
    assert written() == NOTHING


def test_an_unknown_campaign_is_404(donor_client: Any, campaign_service: Any) -> None:
    assert plan_post(donor_client, PLAN_BODY).status_code == 404
    assert written() == NOTHING


def test_a_closed_campaign_is_409(donor_client: Any, client: Any) -> None:
    campaign_changed(client, campaign_id=7, status="closed")

    assert plan_post(donor_client, PLAN_BODY).status_code == 409
    assert written()["plans"] == 0


def test_another_currency_is_422(donor_client: Any, active_campaign: int) -> None:
    assert plan_post(donor_client, {**PLAN_BODY, "currency": "eur"}).status_code == 422
    assert written() == NOTHING


@pytest.mark.parametrize("post", [plan_post, pledge_post])
def test_a_guest_gift_below_min_guest_amount_is_400(
    settings: Any, guest_client: Any, active_campaign: int, post: Any
) -> None:
    settings.MIN_GUEST_AMOUNT = 500
    body = {**GUEST_PLAN_BODY, "amount": 499}
    if post is pledge_post:
        del body["interval"]

    response = post(guest_client, body)

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["amount"]
    assert written() == NOTHING


def test_min_guest_amount_is_500_by_default_and_binds_guests_only(
    settings: Any,
    guest_client: Any,
    donor_client: Any,
    active_campaign: int,
    payment_service: FakePaymentService,
) -> None:
    settings.MIN_GUEST_AMOUNT = 500
    assert plan_post(guest_client, {**GUEST_PLAN_BODY, "amount": 500}).status_code == 201
    assert plan_post(donor_client, {**PLAN_BODY, "amount": 1}, key="small").status_code == 201
