"""The event contracts (SPEC §4): one definition, parse() the inverse of to_payload()."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from careforall_common.contracts.events import (
    EVENT_TYPES,
    CampaignChanged,
    CaptureLogged,
    ContractError,
    Envelope,
    PaymentCaptured,
    PaymentFailed,
    PaymentRefundFailed,
    PledgeCreated,
    PledgeStatusChanged,
    event_parse,
)

EXAMPLES = [
    PledgeCreated(
        pledge_id=1,
        campaign_id=2,
        user_id=None,
        donor_name="Ada",
        anonymous=True,
        amount=500,
        currency="usd",
        status="PENDING",
        created_at=datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
    ),
    PledgeStatusChanged(
        pledge_id=1,
        campaign_id=2,
        previous_status="PENDING",
        new_status="CAPTURED",
        amount=500,
        currency="usd",
    ),
    PaymentCaptured(payment_id=9, pledge_id=1, campaign_id=2, amount=500, currency="usd"),
    PaymentFailed(
        payment_id=9, pledge_id=1, campaign_id=2, amount=500, currency="usd", error="declined"
    ),
    CampaignChanged(campaign_id=2, status="deleted", currency="eur", goal_amount=10_000),
]


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda e: e.EVENT_TYPE)
def test_parse_is_the_inverse_of_to_payload(event: Any) -> None:
    assert EVENT_TYPES[event.EVENT_TYPE].parse(event.to_payload()) == event


def test_only_a_failure_carries_an_error() -> None:
    assert "error" not in EXAMPLES[2].to_payload()
    assert EXAMPLES[3].to_payload()["error"] == "declined"


@pytest.mark.parametrize(
    "change",
    [
        {"amount": True},
        {"amount": "500"},
        {"amount": 0},
        {"amount": 100_000_001},
        {"currency": "USD"},
        {"status": "REFUNDISH"},
        {"donor_name": 7},
        {"anonymous": "yes"},
        {"created_at": "yesterday"},
        {"pledge_id": None},
    ],
)
def test_a_payload_that_breaks_the_contract_is_refused(change: dict[str, Any]) -> None:
    payload = {**EXAMPLES[0].to_payload(), **change}
    with pytest.raises(ContractError):
        PledgeCreated.parse(payload)


def envelope(**fields: Any) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": "CAMPAIGN_CHANGED",
        "event_version": 1,
        "occurred_at": "2026-01-02T03:04:05Z",
        "source": "campaign",
        "aggregate_id": 2,
        "request_id": "abc",
        "payload": EXAMPLES[4].to_payload(),
        **fields,
    }


def test_an_envelope_round_trips_with_its_traceparent() -> None:
    traceparent = "00-" + "a" * 32 + "-" + "b" * 16 + "-01"
    data = envelope(traceparent=traceparent)

    parsed = Envelope.parse(data)

    assert parsed.to_dict() == data
    assert event_parse(parsed) == EXAMPLES[4]


@pytest.mark.parametrize(
    "change",
    [
        {"event_id": "not-a-uuid"},
        {"occurred_at": "never"},
        {"payload": []},
        {"aggregate_id": -1},
        {"event_version": 0},
    ],
)
def test_a_broken_envelope_is_refused(change: dict[str, Any]) -> None:
    with pytest.raises(ContractError):
        Envelope.parse(envelope(**change))


def test_what_is_only_for_logs_is_dropped_not_fatal() -> None:
    parsed = Envelope.parse(envelope(request_id="<script>", traceparent="garbage"))
    assert (parsed.request_id, parsed.traceparent) == ("", None)


def test_an_unknown_type_is_refused() -> None:
    with pytest.raises(ContractError):
        event_parse(Envelope.parse(envelope(event_type="PLEDGE_ARCHIVED")))


def test_plan_events_round_trip_and_refusals() -> None:
    from careforall_common.contracts.events import InstallmentDue, PlanCardChanged, PlanChanged

    changed = PlanChanged(
        plan_id=3, campaign_id=7, status="active", amount=1500, currency="usd", interval="month"
    )
    assert PlanChanged.parse(changed.to_payload()) == changed
    due = InstallmentDue(
        plan_id=3, pledge_id=9, campaign_id=7, user_id=None, amount=1500, currency="usd",
        period=0, attempt=1,
    )  # fmt: skip
    assert InstallmentDue.parse(due.to_payload()) == due
    card = PlanCardChanged(plan_id=3, card_brand="visa", card_last4="4242")
    assert PlanCardChanged.parse(card.to_payload()) == card
    for broken in (
        lambda: PlanChanged.parse({**changed.to_payload(), "interval": "week"}),
        lambda: PlanChanged.parse({**changed.to_payload(), "status": "ended"}),
        lambda: InstallmentDue.parse({**due.to_payload(), "period": -1}),
        lambda: InstallmentDue.parse({**due.to_payload(), "attempt": 0}),
        lambda: PlanCardChanged.parse({**card.to_payload(), "card_last4": "42"}),
    ):
        with pytest.raises(ContractError):
            broken()


def test_a_failed_refund_round_trips() -> None:
    failed = PaymentRefundFailed(
        payment_id=1, pledge_id=2, campaign_id=3, refund_id=4, amount=500, refunded_total=0,
        currency="usd",
    )  # fmt: skip
    assert PaymentRefundFailed.parse(failed.to_payload()) == failed
    with pytest.raises(ContractError):
        PaymentRefundFailed.parse({**failed.to_payload(), "refunded_total": -1})


def test_a_capture_carries_its_commitment_and_its_log_entry_comes_back() -> None:
    commitment = "ab" * 32
    captured = PaymentCaptured(
        payment_id=1, pledge_id=2, campaign_id=3, amount=500, currency="usd", commitment=commitment
    )
    assert PaymentCaptured.parse(captured.to_payload()) == captured
    older = {k: v for k, v in captured.to_payload().items() if k != "commitment"}
    assert PaymentCaptured.parse(older).commitment == ""  # events of earlier releases
    with pytest.raises(ContractError):
        PaymentCaptured.parse({**older, "commitment": "AB" * 32})
    logged = CaptureLogged(payment_id=1, campaign_id=3, index=0)
    assert CaptureLogged.parse(logged.to_payload()) == logged
    with pytest.raises(ContractError):
        CaptureLogged.parse({**logged.to_payload(), "index": -1})
