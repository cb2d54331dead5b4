"""The payments of a plan that pledge_service asks for (docs/recurring.md "Internal calls").

- the **first payment**: the plan's Customer is made (or found), then the first pledge's payment
  on it with ``setup_future_usage: off_session``, so that the card is saved for the installments;
  browser-confirmed (its client secret in the answer) or server-confirmed with a payment method;
- an installment's **authenticated retry**: a new attempt's payment with the saved card,
  confirmed on-session so that the bank may ask for 3-D Secure; the donor's browser completes it
  with the client secret of the answer.

Both are "one payment per pledge": the idempotency record of the call is scoped to the pledge,
so a repeat (pledge_service resuming a request that died) replays the answer, or resumes the
provider call with the payment's deterministic key; it is answered 409 with the payment. A
pledge paid otherwise is 409 with its payment too. The payment is made and answered by the
services of ``POST /api/payments`` (``payments.services``): two short transactions around one
provider call, through the shared idempotent-create runner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from careforall_common.idempotency import (
    IdempotencyRequest,
    Outcome,
    idempotency_request,
    idempotent_create,
    record_find,
    record_insert,
)
from careforall_common.problems import Problem
from payments.models import IdempotencyRecord, Payment, PlanCharge
from payments.outputs import payment_output
from payments.services import UNREACHABLE, payment_answer
from payments.stripe_client import ProviderUnavailable
from payments.transitions import reconcile_after
from saved_cards.models import PlanCard
from saved_cards.services.cards import NO_PLAN, plan_customer_get_or_make


@dataclass(frozen=True)
class PlanPledge:
    """The pledge of a plan to pay, as pledge_service sends it (SPEC §7: plain ids)."""

    plan_id: int
    pledge_id: int
    campaign_id: int
    user_id: int | None
    amount: int
    currency: str
    receipt_token_hash: str | None


@dataclass(frozen=True)
class Answer:
    status: int  # 201 made now, 409 the pledge's payment made before
    body: dict[str, Any]


class _PaidAlready(Exception):
    def __init__(self, payment: Payment) -> None:
        super().__init__(f"pledge {payment.pledge_id} has payment {payment.pk}")
        self.payment = payment


def first_payment_once(
    *,
    pledge: PlanPledge,
    donor_email: str,
    donor_name: str,
    payment_method: str,
) -> Answer:
    """Pay the plan's first pledge on its Customer, saving the card; or answer the payment the
    pledge has (409). 503 while the provider cannot be reached."""
    idempotency = _idempotency(pledge, "first-payment")

    def customer() -> str:
        try:
            card = plan_customer_get_or_make(
                plan_id=pledge.plan_id, email=donor_email, name=donor_name
            )
        except ProviderUnavailable:
            raise Problem(503, UNREACHABLE) from None
        return card.customer

    return _pay_once(
        idempotency=idempotency,
        pledge=pledge,
        charge=PlanCharge.FIRST,
        payment_method=payment_method,
        customer=customer,
    )


def authenticated_payment_once(*, pledge: PlanPledge) -> Answer:
    """Pay an installment's new attempt with the plan's saved card, on-session (3-D Secure in
    the donor's browser); or answer the payment the pledge has (409). 404 without a saved card."""
    card = PlanCard.objects.filter(plan_id=pledge.plan_id).first()
    if card is None or not card.chargeable:
        raise Problem(404, NO_PLAN)
    return _pay_once(
        idempotency=_idempotency(pledge, "authenticated-payment"),
        pledge=pledge,
        charge=PlanCharge.AUTHENTICATED,
        payment_method=card.payment_method,
        customer=lambda: card.customer,
    )


def _idempotency(pledge: PlanPledge, key: str) -> IdempotencyRequest:
    """The call's record: one per pledge (its payment), whatever else the body says."""
    body = {"plan_id": pledge.plan_id, "pledge_id": pledge.pledge_id}
    return idempotency_request(key=key, scope=f"plan-pledge:{pledge.pledge_id}", body=body)


def _pay_once(
    *,
    idempotency: IdempotencyRequest,
    pledge: PlanPledge,
    charge: PlanCharge,
    payment_method: str,
    customer: Callable[[], str],
) -> Answer:
    find = partial(record_find, IdempotencyRecord, idempotency=idempotency, related="payment")
    try:
        record = find()
        replayed = record is not None
        if record is None:
            _refuse_if_paid(pledge_id=pledge.pledge_id)
            insert = partial(
                _payment_insert,
                idempotency=idempotency,
                pledge=pledge,
                charge=charge,
                payment_method=payment_method,
                customer=customer(),
            )
            conflict = partial(_refuse_if_paid, pledge_id=pledge.pledge_id)
            record, replayed = idempotent_create(insert=insert, find=find, conflict=conflict)
        outcome: Outcome[IdempotencyRecord] = payment_answer(record=record, replayed=replayed)
    except _PaidAlready as paid:
        return Answer(409, payment_output(paid.payment))
    except Problem as problem:
        if problem.status_code == 409:  # the same call is running: pledge_service tries again
            raise Problem(503, str(problem.detail)) from None
        raise
    return Answer(409 if outcome.replayed else 201, outcome.body)


def _refuse_if_paid(*, pledge_id: int) -> None:
    existing = Payment.objects.filter(pledge_id=pledge_id).first()
    if existing is not None:
        raise _PaidAlready(existing)


@transaction.atomic(durable=True)
def _payment_insert(
    *,
    idempotency: IdempotencyRequest,
    pledge: PlanPledge,
    charge: PlanCharge,
    payment_method: str,
    customer: str,
) -> IdempotencyRecord:
    """Transaction 1: the PROCESSING payment of the plan's pledge and its unanswered record."""
    payment = Payment.objects.create(
        pledge_id=pledge.pledge_id,
        campaign_id=pledge.campaign_id,
        user_id=pledge.user_id,
        receipt_token_hash=pledge.receipt_token_hash,
        amount=pledge.amount,
        currency=pledge.currency,
        payment_method=payment_method,
        plan_id=pledge.plan_id,
        plan_charge=charge,
        provider_customer=customer,
        reconcile_after=reconcile_after(timezone.now()),
    )
    return record_insert(
        IdempotencyRecord, idempotency=idempotency, body=payment_output(payment), payment=payment
    )
