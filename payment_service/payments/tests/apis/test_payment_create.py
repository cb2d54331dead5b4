"""POST /api/payments (SPEC §3): authorize, capture, decline, one payment per pledge, refusals."""

from __future__ import annotations

from typing import Any

import pytest

from careforall_common.contracts.statuses import PaymentStatus
from careforall_common.outbox.models import OutboxEvent
from payments.models import IdempotencyRecord
from payments.tasks import payment_capture_task
from payments.tests.factories import (
    AUTHORIZED_EVENTS,
    CAPTURED_EVENTS,
    FAILED_EVENTS,
    NOTHING,
    Sandbox,
    events,
    payment,
    payment_post,
    written,
)
from payments.tests.fakes import FakePledgeService

pytestmark = pytest.mark.django_db

VISA = {"pledge_id": 41, "payment_method": "pm_card_visa"}
DECLINED = {"pledge_id": 41, "payment_method": "pm_card_chargeDeclined"}
CREATE = "POST /v1/payment_intents"
CAPTURE = "POST /v1/payment_intents/{id}/capture"


def test_a_visa_payment_is_authorized_then_captured_by_the_task(
    donor_client: Any, donor_pledge: int, sandbox: Sandbox
) -> None:
    response = payment_post(donor_client, VISA)

    assert response.status_code == 201
    assert not response.has_header("Idempotent-Replayed")
    body = response.json()
    made = payment()
    assert body == {
        "id": made.pk,
        "pledge_id": 41,
        "campaign_id": 7,
        "amount": 2_500,
        "currency": "usd",
        "status": "AUTHORIZED",
        "provider_payment_id": made.provider_payment_id,
        "failure_reason": None,
        "refunded_amount": 0,
        "card_brand": "visa",
        "card_last4": "4242",
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert body["provider_payment_id"].startswith("pi_")
    assert events() == AUTHORIZED_EVENTS
    intent = sandbox.client().v1.payment_intents.retrieve(made.provider_payment_id or "")
    assert (intent.status, intent.amount, intent.currency) == ("requires_capture", 2_500, "usd")
    assert intent.capture_method == "manual"
    assert intent.metadata.to_dict() == {
        "payment_id": str(made.pk),
        "pledge_id": "41",
        "campaign_id": "7",
    }

    assert payment_capture_task(payment_id=made.pk) is True

    assert payment().status == PaymentStatus.CAPTURED
    assert events() == AUTHORIZED_EVENTS + CAPTURED_EVENTS
    assert sandbox.client().v1.payment_intents.retrieve(intent.id).status == "succeeded"
    assert (sandbox.intents(), sandbox.calls(CREATE), sandbox.calls(CAPTURE)) == (1, 1, 1)


def test_the_events_carry_what_pledge_service_checks(donor_client: Any, donor_pledge: int) -> None:
    payment_post(donor_client, VISA)

    row = OutboxEvent.objects.filter(destination="pledge").get()

    assert (row.aggregate_type, row.aggregate_id, row.source) == (
        "payment",
        payment().pk,
        "payment",
    )
    assert row.payload == {
        "payment_id": payment().pk,
        "pledge_id": 41,
        "campaign_id": 7,
        "amount": 2_500,
        "currency": "usd",
    }


def test_a_capture_happens_once_however_often_the_task_runs(
    donor_client: Any, donor_pledge: int, sandbox: Sandbox
) -> None:
    payment_post(donor_client, VISA)

    results = [payment_capture_task(payment_id=payment().pk) for _ in range(3)]

    assert results == [True, False, False]
    assert sandbox.calls(CAPTURE) == 1
    assert events("PAYMENT_CAPTURED") == CAPTURED_EVENTS


def test_a_declined_card_is_a_201_failed_payment(
    donor_client: Any, donor_pledge: int, sandbox: Sandbox
) -> None:
    response = payment_post(donor_client, DECLINED)

    assert response.status_code == 201
    assert response.json()["status"] == "FAILED"
    assert response.json()["failure_reason"] == "card_declined: generic_decline"
    assert response.json()["provider_payment_id"].startswith("pi_")
    assert events() == FAILED_EVENTS
    assert OutboxEvent.objects.filter(destination="campaign").get().payload["error"] == (
        "card_declined: generic_decline"
    )
    assert payment_capture_task(payment_id=payment().pk) is False
    assert sandbox.calls(CAPTURE) == 0


def test_a_second_payment_of_the_pledge_is_409_with_the_first_payment_s_id(
    donor_client: Any, donor_pledge: int, pledge_service: FakePledgeService, sandbox: Sandbox
) -> None:
    first = payment_post(donor_client, DECLINED).json()

    other_key = payment_post(donor_client, VISA, key="key-2")
    pledge_service.set_status(41, "FAILED")  # the PAYMENT_FAILED event arrived meanwhile
    later = payment_post(donor_client, VISA, key="key-3")

    for refused in (other_key, later):
        assert refused.status_code == 409
        assert refused["Content-Type"] == "application/problem+json"
        assert refused.json()["payment_id"] == first["id"]
    assert written() == {**NOTHING, "payments": 1, "records": 1, "outbox": 2}
    assert sandbox.intents() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"payment_method": "pm_card_visa"}, "pledge_id"),
        ({**VISA, "pledge_id": "41"}, "pledge_id"),
        ({**VISA, "pledge_id": 41.0}, "pledge_id"),
        ({**VISA, "pledge_id": True}, "pledge_id"),
        ({**VISA, "pledge_id": 0}, "pledge_id"),
        ({**VISA, "pledge_id": -1}, "pledge_id"),
        ({**VISA, "pledge_id": 2**63}, "pledge_id"),
        ({**VISA, "payment_method": ""}, "payment_method"),
        ({**VISA, "payment_method": 12}, "payment_method"),
        ({**VISA, "payment_method": "card_visa"}, "payment_method"),
        ({**VISA, "payment_method": "pm_<script>"}, "payment_method"),
        ({**VISA, "payment_method": "pm_" + "a" * 253}, "payment_method"),
        ({**VISA, "receipt_token": ""}, "receipt_token"),
        ({**VISA, "receipt_token": 5}, "receipt_token"),
        ({**VISA, "amount": 1}, "amount"),
    ],
)
def test_an_invalid_body_is_400_and_writes_nothing(
    donor_client: Any, donor_pledge: int, sandbox: Sandbox, body: dict[str, Any], field: str
) -> None:
    response = payment_post(donor_client, body)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert written() == NOTHING
    assert sandbox.intents() == 0


@pytest.mark.parametrize("raw", ["{", "[]", '"pm_card_visa"', "null", ""])
def test_a_body_that_is_not_an_object_is_400(
    donor_client: Any, donor_pledge: int, raw: str
) -> None:
    response = payment_post(donor_client, raw, raw=True)

    assert response.status_code == 400
    assert response.json()["errors"]
    assert written() == NOTHING


def test_a_guest_pays_with_the_pledge_s_receipt_token(
    guest_client: Any, pledge_service: FakePledgeService
) -> None:
    pledge_service.add(41, user_id=None, receipt_token="the-token")

    right = payment_post(guest_client, {**VISA, "receipt_token": "the-token"})
    again = payment_post(guest_client, {**VISA, "receipt_token": "the-token"})

    assert right.status_code == 201
    assert right.json()["status"] == "AUTHORIZED"
    assert again.json() == right.json()
    assert IdempotencyRecord.objects.get().scope == "guest-pledge:41"


def test_a_wrong_receipt_token_is_404_even_with_a_used_key(
    guest_client: Any, pledge_service: FakePledgeService, sandbox: Sandbox
) -> None:
    pledge_service.add(41, user_id=None, receipt_token="the-token")
    pledge_service.add(43, user_id=None, receipt_token="another-token")
    payment_post(guest_client, {**VISA, "receipt_token": "the-token"})

    wrong = payment_post(guest_client, {**VISA, "receipt_token": "not-the-token"}, key="key-2")
    used_key = payment_post(guest_client, {**VISA, "receipt_token": "not-the-token"})
    other_pledge = payment_post(
        guest_client, {**VISA, "pledge_id": 43, "receipt_token": "the-token"}
    )

    assert [r.status_code for r in (wrong, used_key, other_pledge)] == [404, 404, 404]
    assert "id" not in used_key.json()
    assert written() == {**NOTHING, "payments": 1, "records": 1, "outbox": 2}
    assert sandbox.intents() == 1


def test_a_guest_without_a_receipt_token_is_401(
    guest_client: Any, pledge_service: FakePledgeService
) -> None:
    pledge_service.add(41, user_id=None, receipt_token="the-token")

    response = payment_post(guest_client, VISA)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert written() == NOTHING
    assert pledge_service.asked == []


def test_someone_else_s_or_an_unknown_pledge_is_404(
    donor_client: Any, other_donor_client: Any, donor_pledge: int, pledge_service: FakePledgeService
) -> None:
    pledge_service.add(44, user_id=None, receipt_token="guest-token")

    others = payment_post(other_donor_client, VISA)
    guests = payment_post(donor_client, {**VISA, "pledge_id": 44})
    unknown = payment_post(donor_client, {**VISA, "pledge_id": 999})

    assert [r.status_code for r in (others, guests, unknown)] == [404, 404, 404]
    assert others.json()["detail"] == "No pledge with this id."
    assert written() == NOTHING


@pytest.mark.parametrize("status", ["AUTHORIZED", "CAPTURED", "FAILED"])
def test_a_pledge_that_is_not_pending_is_409(
    donor_client: Any, pledge_service: FakePledgeService, sandbox: Sandbox, status: str
) -> None:
    pledge_service.add(41, status=status)

    response = payment_post(donor_client, VISA)

    assert response.status_code == 409
    assert response.json()["detail"] == f"This pledge is {status}, not awaiting payment."
    assert "payment_id" not in response.json()
    assert written() == NOTHING
    assert sandbox.intents() == 0


def test_pledge_service_down_is_503_and_writes_nothing(donor_client: Any, sandbox: Sandbox) -> None:
    response = payment_post(donor_client, VISA)

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert written() == NOTHING
    assert sandbox.intents() == 0


def test_pledge_service_answering_an_error_is_503(
    donor_client: Any, donor_pledge: int, pledge_service: FakePledgeService
) -> None:
    pledge_service.failing = 500

    response = payment_post(donor_client, VISA)

    assert response.status_code == 503
    assert written() == NOTHING


@pytest.mark.parametrize(
    ("amount", "reason"), [(49, "amount_too_small"), (100_000_000, "amount_too_large")]
)
def test_an_amount_the_provider_refuses_is_a_failed_payment(
    donor_client: Any, pledge_service: FakePledgeService, amount: int, reason: str
) -> None:
    pledge_service.add(41, amount=amount)

    response = payment_post(donor_client, VISA)

    assert response.status_code == 201
    assert (response.json()["status"], response.json()["failure_reason"]) == ("FAILED", reason)
    assert response.json()["provider_payment_id"] is None
    assert events() == FAILED_EVENTS


def test_an_unknown_payment_method_is_a_failed_payment(
    donor_client: Any, donor_pledge: int
) -> None:
    response = payment_post(donor_client, {**VISA, "payment_method": "pm_unknown"})

    assert (response.json()["status"], response.json()["failure_reason"]) == (
        "FAILED",
        "resource_missing",
    )


def test_with_the_provider_down_the_answer_is_processing(
    donor_client: Any, donor_pledge: int, provider_down: None, sandbox: Sandbox
) -> None:
    response = payment_post(donor_client, VISA)

    assert response.status_code == 201
    assert response.json()["status"] == "PROCESSING"
    assert response.json()["provider_payment_id"] is None
    assert payment().status == PaymentStatus.PROCESSING
    assert events() == []
    assert IdempotencyRecord.objects.get().answered is True
    assert sandbox.intents() == 0
