"""PAYMENT_* events move a pledge forward only (SPEC §4, §5.3), each event applied once."""

from __future__ import annotations

from typing import Any

import pytest

from careforall_common.inbox.models import ProcessedEvent
from careforall_common.outbox.models import OutboxEvent
from pledges.models import Pledge
from pledges.tests.factories import SIGNED_IN_BODY, payment_event, pledge_post

pytestmark = pytest.mark.django_db

AUTHORIZED, CAPTURED, FAILED = "PAYMENT_AUTHORIZED", "PAYMENT_CAPTURED", "PAYMENT_FAILED"


@pytest.fixture
def pledge(donor_client: Any, active_campaign: int) -> Pledge:
    pledge_post(donor_client, SIGNED_IN_BODY)
    return Pledge.objects.get()


def status_changes() -> list[tuple[str, str]]:
    events = OutboxEvent.objects.filter(event_type="PLEDGE_STATUS_CHANGED").order_by("id")
    return [(e.payload["previous_status"], e.payload["new_status"]) for e in events]


def test_authorize_then_capture(client: Any, pledge: Pledge) -> None:
    results = [payment_event(client, AUTHORIZED, pledge), payment_event(client, CAPTURED, pledge)]

    assert results == ["processed", "processed"]
    pledge.refresh_from_db()
    assert pledge.status == "CAPTURED"
    assert status_changes() == [("PENDING", "AUTHORIZED"), ("AUTHORIZED", "CAPTURED")]


def test_the_status_change_event_carries_the_pledge(client: Any, pledge: Pledge) -> None:
    payment_event(client, AUTHORIZED, pledge)

    event = OutboxEvent.objects.get(event_type="PLEDGE_STATUS_CHANGED")
    assert (event.destination, event.aggregate_type, event.aggregate_id) == (
        "campaign",
        "pledge",
        pledge.pk,
    )
    assert event.payload == {
        "pledge_id": pledge.pk,
        "campaign_id": 7,
        "previous_status": "PENDING",
        "new_status": "AUTHORIZED",
        "amount": 2_500,
        "currency": "usd",
    }


def test_a_capture_before_the_authorization_ends_captured(client: Any, pledge: Pledge) -> None:
    payment_event(client, CAPTURED, pledge)
    payment_event(client, AUTHORIZED, pledge)

    pledge.refresh_from_db()
    assert pledge.status == "CAPTURED"
    assert status_changes() == [("PENDING", "CAPTURED")]


def test_a_failure_after_the_capture_changes_nothing(client: Any, pledge: Pledge) -> None:
    payment_event(client, CAPTURED, pledge)
    pledge.refresh_from_db()
    updated_at = pledge.updated_at

    result = payment_event(client, FAILED, pledge)

    pledge.refresh_from_db()
    assert result == "processed"
    assert (pledge.status, pledge.updated_at) == ("CAPTURED", updated_at)
    assert status_changes() == [("PENDING", "CAPTURED")]


@pytest.mark.parametrize("before", [[], [AUTHORIZED]])
def test_a_failure_from_pending_or_authorized_is_final(
    client: Any, pledge: Pledge, before: list[str]
) -> None:
    for event_type in before:
        payment_event(client, event_type, pledge)

    payment_event(client, FAILED, pledge)
    payment_event(client, AUTHORIZED, pledge)
    payment_event(client, CAPTURED, pledge)

    pledge.refresh_from_db()
    assert pledge.status == "FAILED"
    assert status_changes()[-1][1] == "FAILED"
    assert len(status_changes()) == len(before) + 1


def test_a_duplicate_event_is_applied_once(client: Any, pledge: Pledge) -> None:
    event_id = "0b6a8d0e-8a43-4b8e-9d0e-7c1b2a3f4e5d"

    first = payment_event(client, AUTHORIZED, pledge, event_id=event_id)
    again = payment_event(client, AUTHORIZED, pledge, event_id=event_id)

    assert (first, again) == ("processed", "duplicate")
    assert status_changes() == [("PENDING", "AUTHORIZED")]
    assert ProcessedEvent.objects.filter(event_id=event_id).count() == 1


def test_a_repeated_move_with_another_event_id_emits_nothing(client: Any, pledge: Pledge) -> None:
    payment_event(client, AUTHORIZED, pledge)

    assert payment_event(client, AUTHORIZED, pledge) == "processed"
    assert status_changes() == [("PENDING", "AUTHORIZED")]


def test_an_unknown_pledge_is_rejected(client: Any, pledge: Pledge) -> None:
    unknown = Pledge(pk=pledge.pk + 1000, campaign_id=7, amount=2_500, currency="usd")

    result = payment_event(client, CAPTURED, unknown)

    assert result == "rejected"
    assert status_changes() == []
    assert ProcessedEvent.objects.filter(event_type=CAPTURED).count() == 0


@pytest.mark.parametrize(
    "overrides",
    [
        {"amount": 2_499},
        {"currency": "eur"},
        {"campaign_id": 8},
        {"pledge_id": "1"},
        {"amount": True},
    ],
)
def test_a_payment_that_does_not_match_the_pledge_is_rejected(
    client: Any, pledge: Pledge, overrides: dict[str, Any]
) -> None:
    result = payment_event(client, CAPTURED, pledge, **overrides)

    pledge.refresh_from_db()
    assert result == "rejected"
    assert pledge.status == "PENDING"
    assert status_changes() == []
