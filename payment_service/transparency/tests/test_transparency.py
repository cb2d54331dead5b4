"""A capture's salt and commitment, its log index from CAPTURE_LOGGED, and who is given the salt
(SPEC §3 "Transparency log")."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import pytest
from django.conf import settings

from careforall_common import signing
from careforall_common.outbox.models import OutboxEvent
from payments.models import Payment
from payments.tasks import payment_capture_task
from payments.tests.factories import payment, payment_post
from payments.tests.fakes import FakePledgeService
from transparency.models import CaptureCommitment

pytestmark = pytest.mark.django_db

VISA = {"pledge_id": 41, "payment_method": "pm_card_visa"}


@pytest.fixture
def captured(donor_client: Any, donor_pledge: int) -> Payment:
    payment_post(donor_client, VISA)
    assert payment_capture_task(payment_id=payment().pk) is True
    return payment()


def v1(message: bytes) -> str:
    """A v1 signature (the shared secret): another service's, whatever this one's key."""
    return signing.sign(message, secret=settings.CAREFORALL["INTERNAL_EVENT_SECRET"])


def capture_logged(client: Any, payment_id: int, *, campaign_id: int = 7, index: int = 3) -> str:
    envelope = {
        "event_id": str(uuid.uuid4()),
        "event_type": "CAPTURE_LOGGED",
        "event_version": 1,
        "occurred_at": "2025-03-01T12:05:00Z",
        "source": "campaign",
        "aggregate_id": payment_id,
        "request_id": "test",
        "payload": {"payment_id": payment_id, "campaign_id": campaign_id, "index": index},
    }
    body = json.dumps({"events": [envelope]}).encode()
    response = client.post(
        "/internal/events",
        data=body,
        content_type="application/json",
        headers={signing.HEADER: v1(body)},
    )
    assert response.status_code == 200, response.content
    status: str = response.json()["results"][0]["status"]
    return status


def internal_read(client: Any, payment_id: int, *, signed: bool = True) -> Any:
    path = f"/internal/payments/{payment_id}/transparency"
    headers = {signing.HEADER: v1(path.encode())} if signed else {}
    return client.get(path, headers=headers)


def test_a_capture_makes_a_salt_and_its_event_carries_the_commitment(captured: Payment) -> None:
    row = CaptureCommitment.objects.get(pk=captured.pk)
    assert len(row.salt) == 64
    assert row.salt == row.salt.lower()
    expected = hashlib.sha256(f"{row.salt}:{captured.pk}".encode()).hexdigest()
    assert row.commitment == expected
    assert row.index is None
    published = OutboxEvent.objects.filter(event_type="PAYMENT_CAPTURED")
    assert {event.payload["commitment"] for event in published} == {expected}
    authorized = OutboxEvent.objects.filter(event_type="PAYMENT_AUTHORIZED").first()
    assert authorized is not None
    assert not authorized.payload.get("commitment")


def test_the_donor_sees_the_block_once_logged_and_staff_never_see_the_salt(
    captured: Payment, client: Any, donor_client: Any, staff_client: Any
) -> None:
    path = f"/api/payments/{captured.pk}"
    assert donor_client.get(path).json()["transparency"] is None  # not logged yet

    assert capture_logged(client, captured.pk, index=3) == "processed"
    assert capture_logged(client, captured.pk, index=3) in ("processed", "duplicate")

    salt = CaptureCommitment.objects.get(pk=captured.pk).salt
    assert donor_client.get(path).json()["transparency"] == {
        "campaign_id": 7,
        "index": 3,
        "salt": salt,
    }
    assert staff_client.get(path).json()["transparency"] is None


def test_a_guest_with_the_receipt_token_sees_the_block(
    guest_client: Any, client: Any, pledge_service: FakePledgeService
) -> None:
    pledge_service.add(45, user_id=None, receipt_token="guest-token")
    payment_post(guest_client, {**VISA, "pledge_id": 45, "receipt_token": "guest-token"})
    payment_capture_task(payment_id=payment().pk)
    capture_logged(client, payment().pk, index=0)
    body = guest_client.get(f"/api/payments/{payment().pk}", {"receipt_token": "guest-token"})
    assert body.json()["transparency"]["index"] == 0


def test_a_log_index_of_another_campaign_or_another_index_is_rejected(
    captured: Payment, client: Any
) -> None:
    assert capture_logged(client, captured.pk, campaign_id=8) == "rejected"
    assert capture_logged(client, captured.pk, index=1) == "processed"
    assert capture_logged(client, captured.pk, index=2) == "rejected"
    assert capture_logged(client, 999_999) == "rejected"


def test_the_internal_read_is_signed_and_gives_commitment_salt_and_index(
    captured: Payment, client: Any
) -> None:
    assert internal_read(client, captured.pk, signed=False).status_code == 403
    body = internal_read(client, captured.pk).json()
    row = CaptureCommitment.objects.get(pk=captured.pk)
    assert body == {
        "payment_id": captured.pk,
        "campaign_id": 7,
        "commitment": row.commitment,
        "salt": row.salt,
        "index": None,
    }
    assert internal_read(client, 999_999).status_code == 404


def test_a_capture_of_an_earlier_release_gets_its_salt_when_first_asked(
    captured: Payment, client: Any
) -> None:
    CaptureCommitment.objects.all().delete()
    first = internal_read(client, captured.pk).json()
    assert internal_read(client, captured.pk).json() == first
    assert CaptureCommitment.objects.get(pk=captured.pk).commitment == first["commitment"]


def test_a_payment_not_captured_has_no_commitment(
    donor_client: Any, donor_pledge: int, client: Any
) -> None:
    payment_post(donor_client, VISA)  # authorized, not captured
    assert internal_read(client, payment().pk).status_code == 404
