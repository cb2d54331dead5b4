"""Idempotency-Key on POST /api/payments (SPEC §3): replays, refusals, what a repeat costs."""

from __future__ import annotations

from typing import Any

import pytest

from payments.tasks import payment_capture_task
from payments.tests.factories import NOTHING, Sandbox, payment, payment_post, written
from payments.tests.fakes import FakePledgeService

pytestmark = pytest.mark.django_db

VISA = {"pledge_id": 41, "payment_method": "pm_card_visa"}
CREATE = "POST /v1/payment_intents"


def test_a_repeat_replays_the_answer_without_calling_the_provider(
    donor_client: Any, donor_pledge: int, sandbox: Sandbox
) -> None:
    first = payment_post(donor_client, VISA)

    again = payment_post(donor_client, VISA)

    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert sandbox.calls(CREATE) == 1
    assert written() == {**NOTHING, "payments": 1, "records": 1, "outbox": 2}


def test_a_repeat_after_the_payment_and_the_pledge_moved_on_still_gets_the_original_201(
    donor_client: Any, donor_pledge: int, pledge_service: FakePledgeService
) -> None:
    first = payment_post(donor_client, VISA)
    payment_capture_task(payment_id=payment().pk)
    pledge_service.set_status(41, "CAPTURED")

    again = payment_post(donor_client, VISA)

    assert (again.status_code, again["Idempotent-Replayed"]) == (201, "true")
    assert again.json() == first.json()
    assert again.json()["status"] == "AUTHORIZED"


def test_a_repeat_while_pledge_service_is_down_still_gets_its_201(
    donor_client: Any, donor_pledge: int, pledge_service: FakePledgeService
) -> None:
    first = payment_post(donor_client, VISA)
    pledge_service.failing = 500

    again = payment_post(donor_client, VISA)

    assert again.status_code == 201
    assert again.json() == first.json()


def test_the_same_key_with_another_body_is_422_and_writes_nothing(
    donor_client: Any, donor_pledge: int, pledge_service: FakePledgeService, sandbox: Sandbox
) -> None:
    pledge_service.add(42)
    payment_post(donor_client, VISA)

    other_method = payment_post(donor_client, {**VISA, "payment_method": "pm_card_mastercard"})
    other_pledge = payment_post(donor_client, {**VISA, "pledge_id": 42})

    assert (other_method.status_code, other_pledge.status_code) == (422, 422)
    assert "different request body" in other_method.json()["detail"]
    assert written() == {**NOTHING, "payments": 1, "records": 1, "outbox": 2}
    assert sandbox.intents() == 1


@pytest.mark.parametrize("key", [None, "", "k" * 256, "clé", "new\nline"])
def test_a_missing_or_invalid_key_is_400(
    donor_client: Any, donor_pledge: int, key: str | None
) -> None:
    response = payment_post(donor_client, VISA, key=key)

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert written() == NOTHING
