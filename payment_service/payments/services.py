"""Paying a pledge (SPEC §3): two short transactions around one provider call.

1. **Transaction 1** inserts the PROCESSING payment and the idempotency record (unanswered).
   The unique ``pledge_id`` makes a second payment of the pledge impossible, the unique key
   hash a second payment for the key; both are read after the ``IntegrityError``.
2. **The provider call**, outside any transaction, with the payment's deterministic
   idempotency key: create and confirm the intent (``payments.provider``).
3. **Transaction 2** records the reply — the payment moves forward with its event — and answers
   the record with the payment as it now stands.

A repeat of the request replays the answered record without calling the provider. A repeat that
finds the record unanswered (the first request is still calling the provider, or died doing so)
makes the same provider call with the same key — the provider answers it with the first reply,
or waits for the first request — and answers the record itself if it is first.

Without a payment method the donor's browser confirms the intent (SPEC §3): the provider call
only creates it, and the answer adds the intent's ``client_secret`` and the publishable key.
If the provider cannot be reached then, the request is 503 and its record stays unanswered, so
that the donor's "try again" (same key) resumes the same create: an answer without a client
secret would leave the browser nothing to confirm.
"""

from __future__ import annotations

import time
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from careforall_common.contracts.internal import PledgeFactsRead
from careforall_common.contracts.statuses import PaymentStatus, PledgeStatus
from careforall_common.idempotency import (
    IN_PROGRESS,
    IdempotencyRequest,
    Outcome,
    idempotent_create,
    record_insert,
    replay_or_raise,
)
from careforall_common.problems import Problem
from careforall_common.rows import row_insert
from defence.services import Requester, payment_attempt_admit
from payments.clients.pledges import pledge_facts_get
from payments.idempotency import Payer, idempotency_record_find
from payments.models import IdempotencyRecord, Payment
from payments.outputs import payment_output
from payments.provider import IntentReport, intent_create
from payments.rows import payment_get, record_answer
from payments.stripe_client import ProviderBusy, ProviderUnavailable
from payments.transitions import payment_advance, reconcile_after

UNREACHABLE = "The payment provider cannot be reached right now; try again shortly."
# The key's first request asks the provider again after these pauses (seconds) while a repeat
# holds the provider's key: the provider then replays that repeat's reply.
FIRST_REQUEST_PAUSES = (0.25, 0.5, 1.0)


def payment_create_once(
    *,
    idempotency: IdempotencyRequest,
    payer: Payer,
    pledge_id: int,
    payment_method: str = "",
    requester: Requester | None = None,
) -> Outcome[IdempotencyRecord]:
    """Pay the pledge once for this key, or answer as the key's first request was answered.

    Refusals (404/409/503) look for an earlier answer first, so that a repeat still gets its 201
    after the pledge has moved on. Calls pledge_service and the provider: never in a transaction.
    A ``requester`` (the public API's caller) passes the card-testing gate before the create
    (429, 403: SPEC §3), which records nothing under the key; a repeat of a key that has a
    record is its first attempt again, answered without the gate.
    """
    find = partial(idempotency_record_find, idempotency=idempotency, payer=payer)
    try:
        pledge = pledge_payable(pledge_id=pledge_id, payer=payer)
    except Problem as refusal:
        earlier = replay_or_raise(find, refusal)
        return payment_answer(record=earlier.record, replayed=True)
    if requester is not None:
        if (found := find()) is not None:
            return payment_answer(record=found, replayed=True)
        payment_attempt_admit(
            requester=requester, user_id=payer.user_id, pledge=pledge, payment_method=payment_method
        )
    record, replayed = idempotent_create(
        insert=partial(
            payment_create, idempotency=idempotency, pledge=pledge, payment_method=payment_method
        ),
        find=find,
        conflict=partial(_paid_already, pledge_id=pledge.pledge_id),
    )
    return payment_answer(record=record, replayed=replayed)


def pledge_payable(*, pledge_id: int, payer: Payer) -> PledgeFactsRead:
    """Return the pledge if ``payer`` may pay it now: 404 not theirs, 409 not PENDING (SPEC §3)."""
    pledge = pledge_facts_get(pledge_id=pledge_id)
    if pledge is None or not payer.may_pay(pledge):
        raise Problem(404, "No pledge with this id.")
    if pledge.status != PledgeStatus.PENDING:
        existing = Payment.objects.filter(pledge_id=pledge_id).values_list("pk", flat=True).first()
        extra = {} if existing is None else {"payment_id": existing}
        raise Problem(409, f"This pledge is {pledge.status}, not awaiting payment.", **extra)
    return pledge


def _paid_already(*, pledge_id: int) -> None:
    """409 when the pledge has its payment (under another key): one payment per pledge, ever."""
    existing = Payment.objects.filter(pledge_id=pledge_id).values_list("pk", flat=True).first()
    if existing is not None:
        raise Problem(409, "This pledge has a payment already.", payment_id=existing)


@transaction.atomic(durable=True)
def payment_create(
    *, idempotency: IdempotencyRequest, pledge: PledgeFactsRead, payment_method: str
) -> IdempotencyRecord:
    """Transaction 1: insert the PROCESSING payment and its unanswered record, or neither."""
    payment = row_insert(  # one plain INSERT: the row ``Payment.objects.create`` would write
        Payment,
        pledge_id=pledge.pledge_id,
        campaign_id=pledge.campaign_id,
        user_id=pledge.user_id,
        receipt_token_hash=pledge.receipt_token_hash,
        amount=pledge.amount,
        currency=pledge.currency,
        payment_method=payment_method,
        reconcile_after=reconcile_after(timezone.now()),
    )
    return record_insert(
        IdempotencyRecord, idempotency=idempotency, body=payment_output(payment), payment=payment
    )


def payment_answer(*, record: IdempotencyRecord, replayed: bool) -> Outcome[IdempotencyRecord]:
    """Answer the request of ``record``: its answer if it has one, else the provider's reply.

    The provider is called only while the payment is PROCESSING, with the payment's
    deterministic key; when it cannot be reached the payment stays PROCESSING, the answer says
    so, and reconciliation finishes the payment (docs/payments.md).
    """
    if record.answered:
        return Outcome.of(record, replayed=replayed)
    report = None
    browser = record.payment.answers_client_secret
    if record.payment.status == PaymentStatus.PROCESSING:
        try:
            report = _intent_create(record.payment, first=not replayed)
        except ProviderBusy:
            raise Problem(409, IN_PROGRESS) from None
        except ProviderUnavailable:
            if browser:
                raise Problem(503, UNREACHABLE, payment_id=record.payment_id) from None
            report = None  # logged by the provider module; reconciliation takes over
    return Outcome.of(payment_settle(record=record, report=report), replayed=replayed)


def _intent_create(payment: Payment, *, first: bool) -> IntentReport:
    """``intent_create``; the key's first request waits out a repeat that holds the provider.

    Repeats call the provider too (an unanswered record may be a dead request's), so one may
    reach it before the first request does. A repeat that finds the provider busy answers 409
    (SPEC §3); the first request asks again and gets the reply the provider gave the repeat, so
    that it answers with the original result rather than "in progress" for its own create.
    """
    for pause in FIRST_REQUEST_PAUSES if first else ():
        try:
            return intent_create(payment)
        except ProviderBusy:
            time.sleep(pause)
    return intent_create(payment)


@transaction.atomic(durable=True)
def payment_settle(*, record: IdempotencyRecord, report: IntentReport | None) -> IdempotencyRecord:
    """Transaction 2: record the provider's reply, then answer the record with the payment.

    Only the first answer sticks (a conditional update): concurrent repeats all return it.
    """
    if report is not None:
        payment_advance(payment=record.payment, report=report)
    payment = payment_get(record.payment_id)
    body = payment_output(payment)
    if payment.answers_client_secret and report is not None and report.client_secret:
        # For the donor's browser only (SPEC §3): never in a read, a log line or an event.
        body["client_secret"] = report.client_secret
        body["publishable_key"] = settings.STRIPE_PUBLISHABLE_KEY
    if record_answer(record.pk, body):
        record.response_body, record.answered = body, True
        return record
    return IdempotencyRecord.objects.get(pk=record.pk)
