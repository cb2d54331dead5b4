"""The projector through POST /internal/events (SPEC §4, §5.2, §5.3): exact, forward only, once."""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from campaigns.models import READ_MODEL_FIELDS, Campaign, PaymentEvent, PledgeProjection
from campaigns.tests.factories import (
    campaign_make,
    campaign_row,
    payment_event,
    payment_refunded,
    pledge_created,
    pledge_events,
    pledge_payload,
    status_changed,
)
from careforall_common import signing
from careforall_common.inbox.models import ProcessedEvent
from conftest import internal_signature

pytestmark = pytest.mark.django_db

Deliver = Callable[..., list[str]]


def totals(campaign: Campaign) -> dict[str, int]:
    stored = Campaign.objects.get(pk=campaign.pk)
    return {field: getattr(stored, field) for field in READ_MODEL_FIELDS}


def buckets(
    pending: int = 0,
    authorized: int = 0,
    captured: int = 0,
    failed: int = 0,
    pledges: int = 0,
    payments: int = 0,
    refunded: int = 0,
) -> dict[str, int]:
    return {
        "pending_amount": pending,
        "authorized_amount": authorized,
        "captured_amount": captured,
        "failed_amount": failed,
        "refunded_amount": refunded,
        "total_pledges": pledges,
        "total_payments": payments,
    }


def status_of(pledge_id: int) -> str:
    return PledgeProjection.objects.get(pk=pledge_id).status


def test_a_created_pledge_counts_in_the_pending_bucket(deliver: Deliver) -> None:
    campaign = campaign_make()

    outcome = deliver(
        pledge_created(
            campaign,
            pledge_id=11,
            amount=2_500,
            donor_name="Grace",
            created_at="2025-03-01T12:00:00Z",
        )
    )

    assert outcome == ["processed"]
    assert totals(campaign) == buckets(pending=2_500, pledges=1)
    row = PledgeProjection.objects.get(pk=11)
    assert (row.campaign_id, row.amount, row.currency, row.status) == (
        campaign.pk,
        2_500,
        "usd",
        "PENDING",
    )
    assert (row.donor_name, row.anonymous) == ("Grace", False)
    assert row.occurred_at == datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_created_then_authorized_then_captured_moves_the_amount_exactly(deliver: Deliver) -> None:
    campaign = campaign_make()
    deliver(pledge_created(campaign, pledge_id=1, amount=700))
    other = campaign_make()
    deliver(pledge_created(other, pledge_id=2, amount=300))

    deliver(status_changed(campaign, pledge_id=1, amount=700, new_status="AUTHORIZED"))
    assert totals(campaign) == buckets(authorized=700, pledges=1)

    deliver(status_changed(campaign, pledge_id=1, amount=700, new_status="CAPTURED"))
    assert totals(campaign) == buckets(captured=700, pledges=1)
    assert status_of(1) == "CAPTURED"
    assert totals(other) == buckets(pending=300, pledges=1)  # another campaign is untouched


def test_capture_before_authorization_before_creation_ends_captured_counted_once(
    deliver: Deliver,
) -> None:
    campaign = campaign_make()

    deliver(status_changed(campaign, pledge_id=5, amount=900, new_status="CAPTURED"))
    assert totals(campaign) == buckets(captured=900, pledges=1)
    early = PledgeProjection.objects.get(pk=5)
    assert (early.status, early.donor_name, early.anonymous) == ("CAPTURED", "", True)

    deliver(status_changed(campaign, pledge_id=5, amount=900, new_status="AUTHORIZED"))
    deliver(
        pledge_created(
            campaign, pledge_id=5, amount=900, donor_name="Ada", created_at="2025-02-01T08:30:00Z"
        )
    )

    assert totals(campaign) == buckets(captured=900, pledges=1)
    row = PledgeProjection.objects.get(pk=5)
    assert (row.status, row.donor_name, row.anonymous) == ("CAPTURED", "Ada", False)
    assert row.occurred_at == datetime(2025, 2, 1, 8, 30, tzinfo=UTC)


def test_authorization_before_creation_then_capture(deliver: Deliver) -> None:
    campaign = campaign_make()

    deliver(status_changed(campaign, pledge_id=3, amount=400, new_status="AUTHORIZED"))
    deliver(pledge_created(campaign, pledge_id=3, amount=400))
    deliver(status_changed(campaign, pledge_id=3, amount=400, new_status="CAPTURED"))

    assert totals(campaign) == buckets(captured=400, pledges=1)


def test_a_redelivered_event_is_applied_once(deliver: Deliver) -> None:
    campaign = campaign_make()
    created = pledge_created(campaign, pledge_id=1, amount=500)
    captured = status_changed(campaign, pledge_id=1, amount=500, new_status="CAPTURED")

    first = deliver(created, captured)
    again = deliver(created, captured, created)

    assert first == ["processed", "processed"]
    assert again == ["duplicate", "duplicate", "duplicate"]
    assert totals(campaign) == buckets(captured=500, pledges=1)
    assert ProcessedEvent.objects.count() == 2


def test_a_repeated_status_under_new_event_ids_moves_money_once(deliver: Deliver) -> None:
    campaign = campaign_make()
    deliver(pledge_created(campaign, pledge_id=1, amount=500))

    outcome = deliver(
        status_changed(campaign, pledge_id=1, amount=500, new_status="AUTHORIZED"),
        status_changed(campaign, pledge_id=1, amount=500, new_status="AUTHORIZED"),
        status_changed(campaign, pledge_id=1, amount=500, new_status="AUTHORIZED"),
        pledge_created(campaign, pledge_id=1, amount=500),
    )

    assert outcome == ["processed"] * 4
    assert totals(campaign) == buckets(authorized=500, pledges=1)


@pytest.mark.parametrize("path", [["FAILED"], ["AUTHORIZED", "FAILED"]])
def test_failed_from_pending_or_authorized(deliver: Deliver, path: list[str]) -> None:
    campaign = campaign_make()
    deliver(pledge_created(campaign, pledge_id=1, amount=800))

    for status in path:
        deliver(status_changed(campaign, pledge_id=1, amount=800, new_status=status))

    assert totals(campaign) == buckets(failed=800, pledges=1)
    assert status_of(1) == "FAILED"


@pytest.mark.parametrize(
    ("terminal", "late", "expected"),
    [
        ("CAPTURED", "FAILED", buckets(captured=600, pledges=1)),
        ("FAILED", "CAPTURED", buckets(failed=600, pledges=1)),
    ],
)
def test_a_terminal_status_is_never_overridden(
    deliver: Deliver, terminal: str, late: str, expected: dict[str, int]
) -> None:
    campaign = campaign_make()
    deliver(pledge_created(campaign, pledge_id=1, amount=600))
    deliver(status_changed(campaign, pledge_id=1, amount=600, new_status=terminal))

    outcome = deliver(
        status_changed(campaign, pledge_id=1, amount=600, new_status=late),
        status_changed(campaign, pledge_id=1, amount=600, new_status="AUTHORIZED"),
        status_changed(campaign, pledge_id=1, amount=600, new_status="PENDING"),
    )

    assert outcome == ["processed"] * 3  # applied, and nothing moved
    assert totals(campaign) == expected
    assert status_of(1) == terminal


def test_a_later_event_moves_the_stored_amount(deliver: Deliver) -> None:
    campaign = campaign_make()
    deliver(pledge_created(campaign, pledge_id=1, amount=1_000))

    deliver(status_changed(campaign, pledge_id=1, amount=999_999, new_status="CAPTURED"))

    assert totals(campaign) == buckets(captured=1_000, pledges=1)


def test_a_bucket_never_goes_negative_the_event_fails_and_nothing_changes(
    deliver: Deliver,
) -> None:
    campaign = campaign_make()
    deliver(pledge_created(campaign, pledge_id=1, amount=500))
    Campaign.objects.filter(pk=campaign.pk).update(pending_amount=100)  # a corrupted read model
    before = campaign_row(campaign)
    event = status_changed(campaign, pledge_id=1, amount=500, new_status="AUTHORIZED")

    outcome = deliver(event)

    assert outcome == ["failed"]  # retried by the publisher, never clamped
    assert campaign_row(campaign) == before
    assert status_of(1) == "PENDING"
    assert not ProcessedEvent.objects.filter(event_id=event["event_id"]).exists()


@pytest.mark.parametrize("change", [{"amount": 0}, {"amount": 100_000_001}, {"status": "CHARGED"}])
def test_projection_check_constraints(deliver: Deliver, change: dict[str, Any]) -> None:
    campaign = campaign_make()
    deliver(pledge_created(campaign, pledge_id=1, amount=500))

    with pytest.raises(IntegrityError), transaction.atomic():
        PledgeProjection.objects.filter(pk=1).update(**change)

    assert PledgeProjection.objects.filter(pk=1, amount=500, status="PENDING").exists()


def test_fifty_pledges_shuffled_and_duplicated_give_exact_totals(deliver: Deliver) -> None:
    campaign = campaign_make()
    other = campaign_make()
    rng = random.Random(20250301)
    pledges, events = [], []
    for pledge_id in range(1, 51):
        status = rng.choice(["PENDING", "AUTHORIZED", "CAPTURED", "FAILED"])
        target = campaign if pledge_id % 5 else other
        pledge = pledge_payload(
            target, pledge_id=pledge_id, amount=rng.randint(1, 100_000), status=status
        )
        path = ["AUTHORIZED", "FAILED"] if status == "FAILED" and rng.random() < 0.5 else None
        pledges.append(pledge)
        events += pledge_events(pledge, path=path)
    redelivered = rng.sample(events, 40)  # the same event ids again
    republished = [  # the same facts under new event ids
        {**event, "event_id": str(uuid.uuid4())} for event in rng.sample(events, 40)
    ]
    batch = events + redelivered + republished
    rng.shuffle(batch)

    outcomes = [
        status
        for start in range(0, len(batch), 25)
        for status in deliver(*batch[start : start + 25])
    ]

    assert outcomes.count("duplicate") == 40
    assert set(outcomes) == {"processed", "duplicate"}
    for target in (campaign, other):
        mine = [p for p in pledges if p["campaign_id"] == target.pk]
        assert totals(target) == buckets(
            pending=sum(p["amount"] for p in mine if p["status"] == "PENDING"),
            authorized=sum(p["amount"] for p in mine if p["status"] == "AUTHORIZED"),
            captured=sum(p["amount"] for p in mine if p["status"] == "CAPTURED"),
            failed=sum(p["amount"] for p in mine if p["status"] == "FAILED"),
            pledges=len(mine),
        )
    assert dict(PledgeProjection.objects.values_list("pledge_id", "status")) == {
        p["pledge_id"]: p["status"] for p in pledges
    }


def test_an_unknown_campaign_is_rejected_and_nothing_is_written(deliver: Deliver) -> None:
    campaign = campaign_make()
    before = campaign_row(campaign)

    outcome = deliver(
        pledge_created(999_999, pledge_id=1),
        status_changed(999_999, pledge_id=2, new_status="CAPTURED"),
    )

    assert outcome == ["rejected", "rejected"]
    assert PledgeProjection.objects.count() == 0
    assert ProcessedEvent.objects.count() == 0
    assert campaign_row(campaign) == before


@pytest.mark.parametrize(
    "change",
    [
        {"amount": "1000"},
        {"amount": 10.0},
        {"amount": True},
        {"amount": 0},
        {"pledge_id": -1},
        {"status": "SHIPPED"},
        {"currency": "USD"},
        {"anonymous": "no"},
        {"donor_name": 42},
        {"donor_name": "x" * 256},
    ],
)
def test_an_invalid_payload_is_rejected(deliver: Deliver, change: dict[str, Any]) -> None:
    campaign = campaign_make()
    event = pledge_created(campaign, pledge_id=1)
    event["payload"].update(change)

    assert deliver(event) == ["rejected"]
    assert PledgeProjection.objects.count() == 0
    assert totals(campaign) == buckets()


def test_a_pledge_claimed_by_another_campaign_is_rejected(deliver: Deliver) -> None:
    campaign, other = campaign_make(), campaign_make()
    deliver(pledge_created(campaign, pledge_id=1, amount=500))

    outcome = deliver(status_changed(other, pledge_id=1, amount=500, new_status="CAPTURED"))

    assert outcome == ["rejected"]
    assert totals(campaign) == buckets(pending=500, pledges=1)
    assert totals(other) == buckets()


def test_a_pledge_in_another_currency_still_counts(deliver: Deliver) -> None:
    campaign = campaign_make(currency="eur")

    outcome = deliver(pledge_created(campaign, pledge_id=1, amount=500, currency="usd"))

    assert outcome == ["processed"]
    assert totals(campaign) == buckets(pending=500, pledges=1)


def test_events_of_other_types_are_rejected(deliver: Deliver) -> None:
    campaign = campaign_make()
    event = pledge_created(campaign, pledge_id=1)
    event["event_type"] = "PLEDGE_ARCHIVED"

    assert deliver(event) == ["rejected"]  # SPEC §4: a type it does not know is a rejection
    assert PledgeProjection.objects.count() == 0


def test_a_captured_payment_counts_once_and_never_moves_the_buckets(deliver: Deliver) -> None:
    campaign = campaign_make()
    deliver(pledge_created(campaign, pledge_id=1, amount=500))
    captured = payment_event("PAYMENT_CAPTURED", campaign, payment_id=9, pledge_id=1, amount=500)

    outcome = deliver(
        payment_event("PAYMENT_AUTHORIZED", campaign, payment_id=9, pledge_id=1, amount=500),
        captured,
        captured,  # the same event again
        payment_event("PAYMENT_CAPTURED", campaign, payment_id=9, pledge_id=1, amount=500),
    )

    assert outcome == ["processed", "processed", "duplicate", "processed"]
    assert totals(campaign) == buckets(pending=500, pledges=1, payments=1)
    assert list(
        PaymentEvent.objects.order_by("id").values_list("event_type", "payment_id", "pledge_id")
    ) == [("PAYMENT_AUTHORIZED", 9, 1), ("PAYMENT_CAPTURED", 9, 1)]


def test_payments_count_per_payment(deliver: Deliver) -> None:
    campaign = campaign_make()

    deliver(
        payment_event("PAYMENT_CAPTURED", campaign, payment_id=1, pledge_id=1),
        payment_event("PAYMENT_CAPTURED", campaign, payment_id=2, pledge_id=2),
    )

    assert totals(campaign) == buckets(payments=2)


def test_a_failed_payment_is_audited_and_counts_nowhere(deliver: Deliver) -> None:
    campaign = campaign_make()
    deliver(pledge_created(campaign, pledge_id=1, amount=500))
    deliver(status_changed(campaign, pledge_id=1, amount=500, new_status="FAILED"))

    outcome = deliver(
        payment_event(
            "PAYMENT_FAILED",
            campaign,
            payment_id=4,
            pledge_id=1,
            amount=500,
            error={"code": "card_declined"},
        )
    )

    assert outcome == ["processed"]
    assert totals(campaign) == buckets(failed=500, pledges=1)  # the failure counts once
    audit = PaymentEvent.objects.get()
    assert (audit.event_type, audit.error) == ("PAYMENT_FAILED", '{"code": "card_declined"}')


def test_a_payment_of_an_unknown_campaign_is_rejected(deliver: Deliver) -> None:
    campaign = campaign_make()
    campaign.pk = 999_999

    assert deliver(payment_event("PAYMENT_CAPTURED", campaign, payment_id=1, pledge_id=1)) == [
        "rejected"
    ]
    assert PaymentEvent.objects.count() == 0


@pytest.mark.parametrize("signature", ["none", "wrong secret", "stale", "other body"])
def test_unsigned_wrongly_signed_or_stale_batches_change_nothing(
    client: Any, signature: str
) -> None:
    campaign = campaign_make()
    before = campaign_row(campaign)
    body = json.dumps({"events": [pledge_created(campaign, pledge_id=1)]}).encode()
    headers = {
        "none": {},
        "wrong secret": {"HTTP_X_CAREFORALL_SIGNATURE": signing.sign(body, secret="not-it")},
        "stale": {
            "HTTP_X_CAREFORALL_SIGNATURE": internal_signature(
                body, timestamp=int(time.time()) - 301
            )
        },
        "other body": {"HTTP_X_CAREFORALL_SIGNATURE": internal_signature(body + b" ")},
    }[signature]

    response = client.post("/internal/events", body, content_type="application/json", **headers)

    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert campaign_row(campaign) == before
    assert PledgeProjection.objects.count() == 0
    assert ProcessedEvent.objects.count() == 0


def test_one_batch_of_many_campaigns_gives_each_its_own_totals(deliver: Deliver) -> None:
    first, second, third = campaign_make(), campaign_make(), campaign_make()
    events = [
        pledge_created(first, pledge_id=1, amount=100),
        pledge_created(second, pledge_id=2, amount=200),
        status_changed(first, pledge_id=1, amount=100, new_status="AUTHORIZED"),
        pledge_created(first, pledge_id=3, amount=300),
        status_changed(third, pledge_id=4, amount=400, new_status="CAPTURED"),
        payment_event("PAYMENT_CAPTURED", third, payment_id=8, pledge_id=4, amount=400),
        status_changed(first, pledge_id=1, amount=100, new_status="CAPTURED"),
        status_changed(second, pledge_id=2, amount=200, new_status="FAILED"),
        pledge_created(third, pledge_id=4, amount=400),  # late: fills in the donor only
    ]

    assert deliver(*events) == ["processed"] * len(events)
    assert totals(first) == buckets(pending=300, captured=100, pledges=2)
    assert totals(second) == buckets(failed=200, pledges=1)
    assert totals(third) == buckets(captured=400, pledges=1, payments=1)
    assert PledgeProjection.objects.get(pk=4).anonymous is False


def test_refunds_count_once_each_and_the_pledge_stays_in_the_captured_bucket(
    deliver: Deliver, client: Any
) -> None:
    campaign = campaign_make()
    pledge = pledge_payload(campaign, pledge_id=1, amount=1_000, status="CAPTURED")
    deliver(*pledge_events(pledge))
    first = payment_refunded(
        campaign, refund_id=5, payment_id=9, pledge_id=1, amount=400, total=400
    )

    outcome = deliver(
        first,
        first,  # the same event again
        {**first, "event_id": str(uuid.uuid4())},  # a repeat under another event id
        payment_refunded(campaign, refund_id=6, payment_id=9, pledge_id=1, amount=600, total=1_000),
        status_changed(
            campaign, pledge_id=1, previous_status="CAPTURED", new_status="REFUNDED", amount=1_000
        ),
    )

    assert outcome == ["processed", "duplicate", "processed", "processed", "processed"]
    assert totals(campaign) == buckets(captured=1_000, refunded=1_000, pledges=1)
    assert status_of(1) == "REFUNDED"
    body = client.get(f"/api/campaigns/{campaign.pk}").json()
    assert (body["captured_amount"], body["refunded_amount"], body["current_amount"]) == (
        1_000,
        1_000,
        0,
    )
    donations = client.get(f"/api/campaigns/{campaign.pk}/donations").json()["results"]
    assert [d["status"] for d in donations] == ["REFUNDED"]


def test_a_refund_before_the_pledges_own_events_still_counts_once(deliver: Deliver) -> None:
    campaign = campaign_make()
    pledge = pledge_payload(campaign, pledge_id=1, amount=1_000, status="CAPTURED")

    deliver(
        payment_refunded(campaign, refund_id=5, payment_id=9, pledge_id=1, amount=300, total=300)
    )
    deliver(*reversed(pledge_events(pledge)))

    assert totals(campaign) == buckets(captured=1_000, refunded=300, pledges=1)
    assert Campaign.objects.get(pk=campaign.pk).current_amount == 700


def test_nothing_leaves_failed_or_refunded(deliver: Deliver) -> None:
    campaign = campaign_make()
    deliver(pledge_created(campaign, pledge_id=1, amount=100, status="FAILED"))
    deliver(pledge_created(campaign, pledge_id=2, amount=200, status="REFUNDED"))

    deliver(
        status_changed(campaign, pledge_id=1, new_status="REFUNDED", amount=100),
        status_changed(campaign, pledge_id=2, new_status="CAPTURED", amount=200),
        status_changed(campaign, pledge_id=2, new_status="FAILED", amount=200),
    )

    assert (status_of(1), status_of(2)) == ("FAILED", "REFUNDED")
    assert totals(campaign) == buckets(captured=200, failed=100, pledges=2)


def test_a_refund_of_an_unknown_campaign_is_rejected(deliver: Deliver) -> None:
    campaign = campaign_make()
    event = payment_refunded(
        campaign, refund_id=5, payment_id=9, pledge_id=1, amount=300, total=300
    )
    event["payload"]["campaign_id"] = 999_999

    assert deliver(event) == ["rejected"]
