from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from careforall_common.contracts.receipts import receipt_token_hash
from careforall_common.contracts.statuses import CAMPAIGN_DELETED, CampaignStatus, PledgeStatus
from careforall_common.contracts.transitions import pledge_status_moves
from careforall_common.idempotency import (
    IdempotencyRequest,
    Outcome,
    idempotency_request,
    idempotent_create,
    record_find,
    replay_or_raise,
)
from careforall_common.outbox.services import outbox_publish, outbox_rows_statement
from careforall_common.problems import Problem
from careforall_common.rows import create_transaction, row_insert, row_prepare, statements_run
from pledges.campaign_facts import campaign_facts_get
from pledges.events import pledge_created_event, pledge_status_changed_event
from pledges.holds import campaign_held_statement
from pledges.models import IdempotencyRecord, Pledge, RefundFailure
from pledges.outputs import pledge_output
from pledges.receipts import receipt_nonce_new, receipt_token
from pledges.selectors import refund_failed

PledgeOutcome = Outcome[IdempotencyRecord]


@dataclass(frozen=True)
class Donor:
    """Who pledges: an account (from the access token) or a guest (``user_id`` None)."""

    user_id: int | None
    name: str
    email: str


def pledge_idempotency(
    *, key: str, user_id: int | None, email: str, body: Mapping[str, Any]
) -> IdempotencyRequest:
    """Scope ``key`` to the signed-in user, or to the guest's email, and fingerprint ``body``."""
    scope = f"user:{user_id}" if user_id is not None else f"guest:{email.lower()}"
    return idempotency_request(key=key, scope=scope, body=body)


def pledge_create_once(
    *,
    idempotency: IdempotencyRequest,
    donor: Donor,
    campaign_id: int,
    amount: int,
    currency: str | None,
    anonymous: bool,
) -> PledgeOutcome:
    """Make the pledge of this key exactly once, or replay the answer its first request got.

    No read precedes the write: ``pledge_create`` inserts, and the unique key of the idempotency
    record decides (``careforall_common.idempotency.idempotent_create``: a repeat, even a
    concurrent one, is answered from the committed record; a deadlock between waiters is
    retried). 404/409/422/503 refusals look for an earlier answer first, so a repeat still gets
    its original 201 after the campaign closed. Calls campaign_service, so never inside a
    transaction.
    """
    find = partial(record_find, IdempotencyRecord, idempotency=idempotency, related="pledge")
    try:
        currency = pledge_currency_for(campaign_id=campaign_id, currency=currency)
    except Problem as refusal:
        return replay_or_raise(find, refusal)
    record, replayed = idempotent_create(
        insert=partial(
            pledge_create,
            idempotency=idempotency,
            donor=donor,
            campaign_id=campaign_id,
            amount=amount,
            currency=currency,
            anonymous=anonymous,
        ),
        find=find,
    )
    return Outcome.of(record, replayed=replayed)


def pledge_currency_for(*, campaign_id: int, currency: str | None) -> str:
    """Return the currency of a pledge to this campaign (the campaign's when none is given).

    404 unknown campaign, 409 not active, 422 another currency (SPEC §3); 503 when the campaign's
    facts are unknown here and campaign_service does not answer.
    """
    campaign = campaign_facts_get(campaign_id=campaign_id)
    if campaign is None or campaign.status == CAMPAIGN_DELETED:
        raise Problem(404, "No campaign with this id.", campaign_id=campaign_id)
    if campaign.status != CampaignStatus.ACTIVE:
        raise Problem(409, "This campaign is not taking pledges.", campaign_id=campaign_id)
    if currency is not None and currency != campaign.currency:
        raise Problem(
            422,
            f"This campaign takes pledges in {campaign.currency} only.",
            campaign_id=campaign_id,
        )
    return campaign.currency


@create_transaction
def pledge_create(
    *,
    idempotency: IdempotencyRequest,
    donor: Donor,
    campaign_id: int,
    amount: int,
    currency: str,
    anonymous: bool,
) -> IdempotencyRecord:
    """Insert a PENDING pledge, its idempotency record and ``PLEDGE_CREATED``, or none of them.

    The record commits with the pledge, so there is no "in progress" state to expose: a second
    request with the key waits on this transaction's uncommitted unique-index entry, then gets a
    duplicate-key error once it commits (and replays the record) or proceeds if it rolled back.
    The record's body is the final 201 body, without the guest's receipt token (never stored).
    """
    # Three round trips (careforall_common.rows): the pledge's INSERT, carrying the BEGIN; the
    # record's INSERT, the hold check and the event's INSERT, in that order; the COMMIT.
    pledge = pledge_insert(
        donor=donor, campaign_id=campaign_id, amount=amount, currency=currency, anonymous=anonymous
    )
    record = row_prepare(  # the row ``record_insert`` writes
        IdempotencyRecord,
        scope=idempotency.scope,
        key=idempotency.key,
        scoped_key_hash=idempotency.scoped_key_hash,
        fingerprint=idempotency.fingerprint,
        response_status=201,
        response_body=pledge_output(pledge),
        pledge=pledge,
    )
    event, _ = outbox_rows_statement([pledge_created_event(pledge)])
    # The record first: a duplicate fails there, before the rest runs. The hold check after the
    # pledge's insert, so that a campaign's hold and this pledge never miss each other.
    made, held, _ = statements_run(
        record.statement, campaign_held_statement(campaign_id=campaign_id), event
    )
    if held.row is not None:
        raise Problem(409, "This campaign is not taking pledges.", campaign_id=campaign_id)
    return record.made(made.lastrowid)


def pledge_insert(
    *,
    donor: Donor,
    campaign_id: int,
    amount: int,
    currency: str,
    anonymous: bool,
    plan_id: int | None = None,
) -> Pledge:
    """Insert a PENDING pledge (a guest's with its receipt-token hash); no event, no record.

    The caller holds the transaction and publishes ``PLEDGE_CREATED`` in it: a one-off gift
    after its idempotency record, a plan's installment with the plan's rows (``plans``).
    One plain INSERT (``careforall_common.rows``): the row the ORM's ``create`` would write.
    """
    nonce = receipt_nonce_new() if donor.user_id is None else None
    return row_insert(
        Pledge,
        campaign_id=campaign_id,
        user_id=donor.user_id,
        donor_name=donor.name,
        donor_email=donor.email,
        anonymous=anonymous,
        amount=amount,
        currency=currency,
        receipt_nonce=nonce,
        receipt_token_hash=receipt_token_hash(receipt_token(nonce=nonce)) if nonce else None,
        plan_id=plan_id,
    )


def pledge_advance(
    *, pledge_id: int, status: PledgeStatus, campaign_id: int, amount: int, currency: str
) -> bool:
    """Move the pledge to ``status`` if that is forward; return whether it moved.

    The caller holds the transaction (the inbox's, which records the event id). The row lock
    orders concurrent payment events; a late, repeated or backward event changes nothing and
    emits nothing; a move emits ``PLEDGE_STATUS_CHANGED``. Raises ``Pledge.DoesNotExist`` for an
    unknown pledge and ``ValueError`` when the payment's campaign, amount or currency is not the
    pledge's: money that does not match is parked for an operator, never applied.
    """
    pledge = Pledge.objects.select_for_update().get(pk=pledge_id)
    if (pledge.campaign_id, pledge.amount, pledge.currency) != (campaign_id, amount, currency):
        raise ValueError(f"the payment does not match pledge {pledge_id}")
    return _move(pledge, status)


def pledge_refund(
    *,
    pledge_id: int,
    campaign_id: int,
    refunded_total: int,
    currency: str,
    refund_id: int | None = None,
) -> Pledge:
    """Record that the pledge's payment has had ``refunded_total`` back; REFUNDED once all of it.

    The caller holds the transaction. The total only grows (the larger of the stored and the
    reported one), so refund events apply in any order and a repeat changes nothing; the refund
    ``refund_id`` counts nothing once the provider failed it (``pledge_refund_failed``). Raises
    ``Pledge.DoesNotExist`` for an unknown pledge and ``ValueError`` for a refund that cannot be
    this pledge's (another campaign or currency, more than its amount, a FAILED pledge).
    """
    pledge = _refund_target(
        pledge_id=pledge_id,
        campaign_id=campaign_id,
        refunded_total=refunded_total,
        currency=currency,
    )
    if refund_id is not None and refund_failed(refund_id=refund_id):
        return pledge  # the provider failed this refund since: it counts nothing
    if refunded_total > pledge.refunded_amount:
        pledge.refunded_amount = refunded_total
        pledge.save(update_fields=["refunded_amount", "updated_at"])
    if pledge.refunded_amount == pledge.amount:
        _move(pledge, PledgeStatus.REFUNDED)
    return pledge


def pledge_refund_failed(
    *,
    pledge_id: int,
    campaign_id: int,
    refund_id: int,
    amount: int,
    refunded_total: int,
    currency: str,
) -> bool:
    """Take a partial refund the provider failed after it succeeded out of ``refunded_amount``.

    The caller holds the transaction. Once per refund id (a ``RefundFailure`` row, which also
    makes that refund's ``PAYMENT_REFUNDED`` count nothing should it come again or late): the
    amount goes down to ``refunded_total``, what the payment has had back without it — never
    up, and a REFUNDED pledge never moves back (SPEC §5.3; payment_service reports failures of
    partly refunded payments only). Returns whether this was news. Raises as ``pledge_refund``.
    """
    pledge = _refund_target(
        pledge_id=pledge_id,
        campaign_id=campaign_id,
        refunded_total=refunded_total,
        currency=currency,
    )
    _, created = RefundFailure.objects.get_or_create(
        refund_id=refund_id,
        defaults={"pledge": pledge, "amount": amount, "refunded_total": refunded_total},
    )
    if not created:
        return False
    if pledge.status != PledgeStatus.REFUNDED and refunded_total < pledge.refunded_amount:
        pledge.refunded_amount = refunded_total
        pledge.save(update_fields=["refunded_amount", "updated_at"])
    return True


def _refund_target(
    *, pledge_id: int, campaign_id: int, refunded_total: int, currency: str
) -> Pledge:
    """The pledge a refund event names, locked; ``ValueError`` when it cannot be its refund."""
    pledge = Pledge.objects.select_for_update().get(pk=pledge_id)
    if (pledge.campaign_id, pledge.currency) != (campaign_id, currency):
        raise ValueError(f"the refund does not match pledge {pledge_id}")
    if refunded_total > pledge.amount:
        raise ValueError(f"pledge {pledge_id} is {pledge.amount}, not {refunded_total}")
    if pledge.status == PledgeStatus.FAILED:
        raise ValueError(f"pledge {pledge_id} FAILED: nothing was captured to refund")
    return pledge


def _move(pledge: Pledge, status: PledgeStatus) -> bool:
    """Move the locked ``pledge`` to ``status`` with its event, if that is forward (SPEC §5.3)."""
    previous = pledge.status
    if not pledge_status_moves(previous, status):
        return False
    pledge.status = status
    pledge.save(update_fields=["status", "updated_at"])
    outbox_publish(pledge_status_changed_event(pledge, previous_status=previous))
    return True
