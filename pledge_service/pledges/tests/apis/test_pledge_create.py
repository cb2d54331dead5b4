"""POST /api/pledges (SPEC §3): who pledges, to which campaign, and nothing written on refusal."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.forms.models import model_to_dict

from careforall_common.outbox.models import OutboxEvent
from pledges.models import IdempotencyRecord, Pledge
from pledges.tests.factories import (
    GUEST_BODY,
    NOTHING,
    SIGNED_IN_BODY,
    campaign_changed,
    pledge_post,
    written,
)

pytestmark = pytest.mark.django_db


def iso(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")


def test_signed_in_donor_pledges_with_the_name_and_email_of_the_account(
    donor_client: Any, active_campaign: int
) -> None:
    response = pledge_post(donor_client, SIGNED_IN_BODY)

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    pledge = Pledge.objects.get()
    assert response.json() == {
        "id": pledge.pk,
        "campaign_id": 7,
        "user_id": 2,
        "donor_name": "Test Donor",
        "anonymous": False,
        "amount": 2_500,
        "currency": "usd",
        "status": "PENDING",
        "refunded_amount": 0,
        "plan_id": None,
        "created_at": iso(pledge.created_at),
        "updated_at": iso(pledge.updated_at),
    }
    assert (pledge.donor_name, pledge.donor_email) == ("Test Donor", "user2@example.org")
    assert (pledge.receipt_nonce, pledge.receipt_token_hash) == (None, None)


def test_the_idempotency_record_holds_the_answer_and_the_event_is_in_the_outbox(
    donor_client: Any, active_campaign: int
) -> None:
    response = pledge_post(donor_client, SIGNED_IN_BODY, key="order-42")

    pledge = Pledge.objects.get()
    record = IdempotencyRecord.objects.get()
    canonical = '{"amount":2500,"campaign_id":7}'
    assert (record.scope, record.key, record.pledge_id) == ("user:2", "order-42", pledge.pk)
    assert record.fingerprint == hashlib.sha256(canonical.encode()).hexdigest()
    assert (record.response_status, record.response_body) == (201, response.json())
    event = OutboxEvent.objects.get()
    assert (event.event_type, event.destination, event.aggregate_type) == (
        "PLEDGE_CREATED",
        "campaign",
        "pledge",
    )
    assert event.aggregate_id == pledge.pk
    assert event.payload == {
        "pledge_id": pledge.pk,
        "campaign_id": 7,
        "user_id": 2,
        "donor_name": "Test Donor",
        "anonymous": False,
        "amount": 2_500,
        "currency": "usd",
        "status": "PENDING",
        "created_at": iso(pledge.created_at),
    }


def test_guest_pledge_carries_a_receipt_token_that_is_stored_nowhere(
    guest_client: Any, active_campaign: int
) -> None:
    response = pledge_post(guest_client, GUEST_BODY)

    assert response.status_code == 201
    body = response.json()
    token = body.pop("receipt_token")
    assert len(token) == 43  # 32 bytes, urlsafe base64, unpadded
    pledge = Pledge.objects.get()
    assert (body["user_id"], body["donor_name"]) == (None, "Rahim Uddin")
    assert pledge.donor_email == "Rahim@Example.org"
    assert pledge.receipt_token_hash == hashlib.sha256(token.encode()).hexdigest()
    record = IdempotencyRecord.objects.get()
    assert record.scope == "guest:rahim@example.org"
    assert record.response_body == body
    stored = [
        *model_to_dict(pledge).values(),
        *model_to_dict(record).values(),
        *(str(value) for value in OutboxEvent.objects.values().get().values()),
    ]
    assert not any(token in str(value) for value in stored)


def test_guest_reads_the_pledge_with_the_receipt_token(
    guest_client: Any, active_campaign: int
) -> None:
    created = pledge_post(guest_client, GUEST_BODY).json()
    token = created.pop("receipt_token")

    found = guest_client.get(f"/api/pledges/{created['id']}", {"receipt_token": token})
    wrong = guest_client.get(f"/api/pledges/{created['id']}", {"receipt_token": token[:-1] + "x"})

    assert found.status_code == 200
    assert found.json() == created
    assert wrong.status_code == 404
    assert wrong["Content-Type"] == "application/problem+json"


def test_anonymous_flag_is_stored_and_shown(donor_client: Any, active_campaign: int) -> None:
    response = pledge_post(donor_client, {**SIGNED_IN_BODY, "anonymous": True})

    assert response.status_code == 201
    assert response.json()["anonymous"] is True
    assert Pledge.objects.get().anonymous is True


def test_currency_defaults_to_the_campaign_s_and_may_be_given(
    donor_client: Any, client: Any
) -> None:
    campaign_changed(client, campaign_id=7, currency="eur")

    default = pledge_post(donor_client, SIGNED_IN_BODY, key="a")
    explicit = pledge_post(donor_client, {**SIGNED_IN_BODY, "currency": "eur"}, key="b")

    assert (default.status_code, default.json()["currency"]) == (201, "eur")
    assert (explicit.status_code, explicit.json()["currency"]) == (201, "eur")


def test_another_currency_than_the_campaign_s_is_422(
    donor_client: Any, active_campaign: int
) -> None:
    response = pledge_post(donor_client, {**SIGNED_IN_BODY, "currency": "eur"})

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "This campaign takes pledges in usd only."
    assert written() == NOTHING


@pytest.mark.parametrize("status", ["closed", "draft"])
def test_a_campaign_not_active_is_409(donor_client: Any, client: Any, status: str) -> None:
    campaign_changed(client, campaign_id=7, status=status)

    response = pledge_post(donor_client, SIGNED_IN_BODY)

    assert response.status_code == 409
    assert response.json()["campaign_id"] == 7
    assert written() == NOTHING


def test_an_unknown_campaign_is_404(donor_client: Any, campaign_service: Any) -> None:
    response = pledge_post(donor_client, {**SIGNED_IN_BODY, "campaign_id": 8})

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert campaign_service.asked == ["/internal/campaigns/8"]
    assert written() == NOTHING


def test_facts_unknown_and_campaign_service_unreachable_is_503(donor_client: Any) -> None:
    response = pledge_post(donor_client, SIGNED_IN_BODY)

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "Campaign details are unavailable; try again shortly."
    assert written() == NOTHING


def test_a_campaign_unknown_here_is_asked_for_and_then_known(
    donor_client: Any, campaign_service: Any
) -> None:
    campaign_service.add(9, currency="gbp")

    first = pledge_post(donor_client, {**SIGNED_IN_BODY, "campaign_id": 9}, key="a")
    second = pledge_post(donor_client, {**SIGNED_IN_BODY, "campaign_id": 9}, key="b")

    assert (first.status_code, first.json()["currency"]) == (201, "gbp")
    assert second.status_code == 201
    assert campaign_service.asked == ["/internal/campaigns/9"]


def test_signed_in_donor_may_not_name_themselves(donor_client: Any, active_campaign: int) -> None:
    body = {**SIGNED_IN_BODY, "donor_name": "Someone", "donor_email": "someone@example.org"}

    response = pledge_post(donor_client, body)

    assert response.status_code == 400
    assert sorted(error["field"] for error in response.json()["errors"]) == [
        "donor_email",
        "donor_name",
    ]
    assert written() == NOTHING


def test_guest_must_give_name_and_email(guest_client: Any, active_campaign: int) -> None:
    response = pledge_post(guest_client, SIGNED_IN_BODY)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "donor_name", "message": "This field is required."},
        {"field": "donor_email", "message": "This field is required."},
    ]
    assert written() == NOTHING


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "1000"}, "amount"),
        ({"amount": 1000.0}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": 100_000_001}, "amount"),
        ({"amount": None}, "amount"),
        ({"campaign_id": "7"}, "campaign_id"),
        ({"campaign_id": 0}, "campaign_id"),
        ({"campaign_id": 2**63}, "campaign_id"),
        ({"currency": "USD"}, "currency"),
        ({"currency": "usdd"}, "currency"),
        ({"currency": 840}, "currency"),
        ({"anonymous": "yes"}, "anonymous"),
        ({"anonymous": 1}, "anonymous"),
        ({"donor_name": ""}, "donor_name"),
        ({"donor_name": "x" * 151}, "donor_name"),
        ({"donor_name": 42}, "donor_name"),
        ({"donor_email": "not-an-email"}, "donor_email"),
        ({"donor_email": " rahim@example.org"}, "donor_email"),
        ({"status": "CAPTURED"}, "status"),
        ({"user_id": 1}, "user_id"),
    ],
)
def test_invalid_body_is_400_and_writes_nothing(
    guest_client: Any, active_campaign: int, overrides: dict[str, Any], field: str
) -> None:
    response = pledge_post(guest_client, {**GUEST_BODY, **overrides})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field in [error["field"] for error in response.json()["errors"]]
    assert written() == NOTHING


@pytest.mark.parametrize(
    "raw", ["{not json", '{"campaign_id": 7,}', '["a", "list"]', '"a string"', "42", "null"]
)
def test_malformed_or_non_object_body_is_400(
    donor_client: Any, active_campaign: int, raw: str
) -> None:
    response = pledge_post(donor_client, raw, raw=True)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "body"
    assert written() == NOTHING


@pytest.mark.parametrize(
    "name",
    [
        "<script>alert('x')</script>",
        "Robert'); DROP TABLE pledges_pledge;--",
        "  ' OR 1=1 -- 💧  ",
        "{{7*7}} ${jndi:ldap://x}",
    ],
)
def test_injection_looking_strings_are_stored_and_shown_verbatim(
    guest_client: Any, active_campaign: int, name: str
) -> None:
    response = pledge_post(guest_client, {**GUEST_BODY, "donor_name": name})

    assert response.status_code == 201
    assert response.json()["donor_name"] == name
    assert Pledge.objects.get().donor_name == name


def test_a_token_signed_with_another_key_is_401_not_a_guest(
    forged_donor_client: Any, active_campaign: int
) -> None:
    response = pledge_post(forged_donor_client, GUEST_BODY)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert written() == NOTHING


def test_staff_may_pledge_like_a_donor(staff_client: Any, active_campaign: int) -> None:
    response = pledge_post(staff_client, SIGNED_IN_BODY)

    assert response.status_code == 201
    assert response.json()["user_id"] == 1
