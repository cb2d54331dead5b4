"""The rules every service shares (careforall_common.contracts): statuses, transitions, money,
receipt tokens and the internal reads."""

from __future__ import annotations

import hashlib

import pytest

from careforall_common.contracts.events import ContractError
from careforall_common.contracts.internal import (
    CampaignFactsRead,
    DonorEmailsRead,
    OutboxStatusRead,
    PaymentTransparencyRead,
    PlansPageRead,
    PledgeFactsRead,
)
from careforall_common.contracts.money import (
    MAX_AMOUNT,
    amount_valid,
    currency_valid,
)
from careforall_common.contracts.plans import plan_monthly_amount
from careforall_common.contracts.receipts import receipt_token_hash, receipt_token_matches
from careforall_common.contracts.statuses import (
    CAMPAIGN_FACT_STATUSES,
    CampaignStatus,
    PaymentStatus,
    PledgeStatus,
)
from careforall_common.contracts.transitions import (
    payment_status_moves,
    payment_statuses_before,
    pledge_status_moves,
    pledge_statuses_before,
)

P, A, C, R, F = "PENDING", "AUTHORIZED", "CAPTURED", "REFUNDED", "FAILED"
# SPEC §5.3, written out move by move: (from, to) pairs that are allowed; every other pair is not.
ALLOWED = {
    (P, A), (P, C), (P, R), (P, F),
    (A, C), (A, R), (A, F),
    (C, R),
}  # fmt: skip


@pytest.mark.parametrize("current", [P, A, C, R, F])
@pytest.mark.parametrize("new", [P, A, C, R, F])
def test_a_pledge_moves_forward_only(current: str, new: str) -> None:
    assert pledge_status_moves(current, new) is ((current, new) in ALLOWED)


@pytest.mark.parametrize("current", [P, A, C, R, F])
@pytest.mark.parametrize("new", [P, A, C, R, F])
def test_a_payment_follows_the_same_table(current: str, new: str) -> None:
    as_payment = {P: "PROCESSING"}
    assert payment_status_moves(as_payment.get(current, current), as_payment.get(new, new)) is (
        (current, new) in ALLOWED
    )


def test_the_statuses_a_move_may_start_from() -> None:
    assert pledge_statuses_before(F) == [P, A]
    assert pledge_statuses_before(R) == [P, A, C]
    assert payment_statuses_before(C) == ["PROCESSING", A]
    assert pledge_statuses_before(P) == []


def test_the_stored_values_are_the_specs_words() -> None:
    assert PledgeStatus.values == [P, A, C, R, F]
    assert PaymentStatus.values == ["PROCESSING", A, C, R, F]
    assert CampaignStatus.values == ["draft", "active", "closed"]
    assert CAMPAIGN_FACT_STATUSES == ("draft", "active", "closed", "deleted")


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        (1, True),
        (MAX_AMOUNT, True),
        (0, False),
        (MAX_AMOUNT + 1, False),
        (True, False),
        (1.0, False),
    ],
)
def test_amounts(value: object, valid: bool) -> None:
    assert amount_valid(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"), [("usd", True), ("USD", False), ("us", False), ("usdd", False), (1, False)]
)
def test_currencies(value: object, valid: bool) -> None:
    assert currency_valid(value) is valid


def test_a_receipt_token_is_checked_against_its_hash() -> None:
    digest = receipt_token_hash("tok")
    assert digest == hashlib.sha256(b"tok").hexdigest()
    assert receipt_token_matches(token="tok", token_hash=digest)
    assert not receipt_token_matches(token="other", token_hash=digest)
    assert not receipt_token_matches(token=None, token_hash=digest)
    assert not receipt_token_matches(token="tok", token_hash=None)


def test_pledge_facts_round_trip_and_refusals() -> None:
    facts = PledgeFactsRead(
        pledge_id=4,
        campaign_id=7,
        user_id=None,
        amount=2500,
        currency="usd",
        status="PENDING",
        receipt_token_hash=receipt_token_hash("tok"),
    )
    assert PledgeFactsRead.parse(facts.to_dict()) == facts
    for broken in (
        {"currency": "USD"},
        {"status": "LOST"},
        {"amount": 0},
        {"receipt_token_hash": "xyz"},
        {"user_id": "2"},
    ):
        with pytest.raises(ContractError):
            PledgeFactsRead.parse({**facts.to_dict(), **broken})


def test_campaign_facts_are_the_campaign_changed_payload() -> None:
    data = {"campaign_id": 7, "status": "active", "currency": "usd", "goal_amount": 500}
    assert CampaignFactsRead.parse(data).to_payload() == data
    with pytest.raises(ContractError):
        CampaignFactsRead.parse({**data, "status": "open"})


def test_outbox_status_and_donor_emails() -> None:
    status = {"destinations": {"campaign": {"pending": 2, "dead": 0}}}
    assert OutboxStatusRead.parse(status).to_dict() == status
    with pytest.raises(ContractError):
        OutboxStatusRead.parse({"destinations": {"campaign": {"pending": -1, "dead": 0}}})
    emails = {"results": [{"pledge_id": 3, "donor_email": "a@example.org"}]}
    assert DonorEmailsRead.parse(emails).emails == {3: "a@example.org"}
    assert DonorEmailsRead.parse(emails).to_dict() == emails
    with pytest.raises(ContractError):
        DonorEmailsRead.parse({"results": [{"pledge_id": 0, "donor_email": "a@example.org"}]})


def test_a_plans_contribution_to_the_monthly_figure() -> None:
    assert plan_monthly_amount(status="active", amount=1200, interval="month") == 1200
    assert plan_monthly_amount(status="past_due", amount=1299, interval="year") == 108
    assert plan_monthly_amount(status="paused", amount=1200, interval="month") == 0
    assert plan_monthly_amount(status="canceled", amount=1200, interval="year") == 0


def test_a_page_of_plans_round_trips() -> None:
    plan = {
        "plan_id": 3, "campaign_id": 7, "status": "active", "amount": 1500, "currency": "usd",
        "interval": "month",
    }  # fmt: skip
    page = PlansPageRead.parse({"results": [plan], "next_after": 3})
    assert page.to_dict() == {"results": [plan], "next_after": 3}
    assert PlansPageRead.parse({"results": [], "next_after": None}).next_after is None
    with pytest.raises(ContractError):
        PlansPageRead.parse({"results": [{**plan, "interval": "week"}], "next_after": None})


def test_a_payments_log_entry_read() -> None:
    data = {
        "payment_id": 4, "campaign_id": 7, "commitment": "ab" * 32, "salt": "cd" * 32,
        "index": None,
    }  # fmt: skip
    assert PaymentTransparencyRead.parse(data).to_dict() == data
    assert PaymentTransparencyRead.parse({**data, "index": 0}).index == 0
    for broken in ({"salt": "xyz"}, {"commitment": "AB" * 32}, {"index": -1}, {"index": True}):
        with pytest.raises(ContractError):
            PaymentTransparencyRead.parse({**data, **broken})
