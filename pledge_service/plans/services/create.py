"""Setting a plan up (``POST /api/recurring``): one durable transaction, then one internal call.

1. **The transaction** inserts the plan (``incomplete``), its idempotency record (unanswered),
   installment 0 (period 0, attempt 1) with its PENDING pledge (``plan_id``), ``PLEDGE_CREATED``
   and ``PLAN_CHANGED`` — through the shared runner, so a repeat of the key, even a concurrent
   one, makes nothing more.
2. **The call**, outside any transaction: payment_service makes the first payment of that pledge
   (``POST /internal/plans/first-payment``, idempotent on the pledge: a second call answers the
   payment made by the first, 409).
3. **The answer**: the record gets the 201 body with ``first_installment`` by a conditional
   update; the first answer wins and every repeat gets it.

A repeat that finds the record unanswered (the first request is still calling, or died doing
so, or payment_service was unreachable: 503) makes the call again and answers it itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from careforall_common.contracts.receipts import receipt_token_hash
from careforall_common.idempotency import (
    IdempotencyRequest,
    Outcome,
    idempotency_request,
    idempotent_create,
    record_find,
    record_insert,
    replay_or_raise,
)
from careforall_common.outbox.services import outbox_publish
from careforall_common.problems import Problem
from plans.clients.payments import PaymentsRefused, PaymentsUnavailable, first_payment
from plans.events import plan_changed_event
from plans.models import Installment, PlanIdempotencyRecord, RecurringPlan
from plans.outputs import plan_output
from plans.selectors import plan_first_pledge
from plans.services.changes import UNREACHABLE
from plans.tokens import manage_nonce_new, manage_token
from pledges.events import pledge_created_event
from pledges.holds import campaign_held
from pledges.outputs import pledge_output
from pledges.services import Donor, pledge_currency_for, pledge_insert

PlanOutcome = Outcome[PlanIdempotencyRecord]

# A challenge answer is not part of what the key names (SPEC §3: the same key with a token goes
# through after a 403 challenge-required). It is checked before the create (``apis``), by the
# card-testing defence, and never sent on.
NOT_FINGERPRINTED = ("challenge_token",)


def plan_idempotency(
    *, key: str, user_id: int | None, email: str, body: Mapping[str, Any]
) -> IdempotencyRequest:
    """Scope ``key`` to the signed-in user, or to the guest's email, and fingerprint ``body``."""
    scope = f"user:{user_id}" if user_id is not None else f"guest:{email.lower()}"
    fingerprinted = {name: value for name, value in body.items() if name not in NOT_FINGERPRINTED}
    return idempotency_request(key=key, scope=scope, body=fingerprinted)


def plan_create_once(
    *,
    idempotency: IdempotencyRequest,
    donor: Donor,
    campaign_id: int,
    amount: int,
    currency: str | None,
    interval: str,
    anonymous: bool,
    payment_method: str | None = None,
) -> PlanOutcome:
    """Set the plan of this key up once and start its first payment; or answer as before.

    Refusals decided before the create (404/409/422/503) replay an earlier answer to the key
    first. Calls campaign_service and payment_service: never inside a transaction.
    """
    find = partial(record_find, PlanIdempotencyRecord, idempotency=idempotency, related="plan")
    try:
        currency = pledge_currency_for(campaign_id=campaign_id, currency=currency)
    except Problem as refusal:
        record, replayed = replay_or_raise(find, refusal).record, True
    else:
        record, replayed = idempotent_create(
            insert=partial(
                plan_create,
                idempotency=idempotency,
                donor=donor,
                campaign_id=campaign_id,
                amount=amount,
                currency=currency,
                interval=interval,
                anonymous=anonymous,
            ),
            find=find,
        )
    payment = partial(first_payment, payment_method=payment_method)
    return plan_answer(record=record, replayed=replayed, pay=payment)


@transaction.atomic(durable=True)
def plan_create(
    *,
    idempotency: IdempotencyRequest,
    donor: Donor,
    campaign_id: int,
    amount: int,
    currency: str,
    interval: str,
    anonymous: bool,
) -> PlanIdempotencyRecord:
    """Insert the plan, its record, installment 0, its pledge and their events, or none."""
    nonce = manage_nonce_new() if donor.user_id is None else None
    plan = RecurringPlan.objects.create(
        campaign_id=campaign_id,
        user_id=donor.user_id,
        donor_name=donor.name,
        donor_email=donor.email,
        anonymous=anonymous,
        amount=amount,
        currency=currency,
        interval=interval,
        manage_nonce=nonce,
        manage_token_hash=receipt_token_hash(manage_token(nonce=nonce)) if nonce else None,
    )
    # Right after the plan: a duplicate key fails here, having written as little as possible.
    record = record_insert(
        PlanIdempotencyRecord, idempotency=idempotency, body=plan_output(plan), plan=plan
    )
    pledge = pledge_insert(
        donor=donor,
        campaign_id=campaign_id,
        amount=amount,
        currency=currency,
        anonymous=anonymous,
        plan_id=plan.pk,
    )
    Installment.objects.create(
        plan=plan, period=0, attempt=1, pledge=pledge, due_at=timezone.now(), amount=amount
    )
    # After the pledge's insert, so that a campaign's hold and this pledge never miss each other.
    if campaign_held(campaign_id=campaign_id):
        raise Problem(409, "This campaign is not taking pledges.", campaign_id=campaign_id)
    outbox_publish(pledge_created_event(pledge))
    outbox_publish(plan_changed_event(plan))
    return record


def plan_answer(
    *, record: PlanIdempotencyRecord, replayed: bool, pay: Any = first_payment
) -> PlanOutcome:
    """Answer the request of ``record``: its answer if it has one, else after the first payment.

    503 while payment_service cannot be reached, its refusal (403, 429, …) as it is: the record
    stays unanswered, and the same key with the same body tries again.
    """
    if record.answered:
        return Outcome.of(record, replayed=replayed)
    plan = record.plan
    pledge = plan_first_pledge(plan_id=plan.pk)
    try:
        payment = pay(
            plan_id=plan.pk,
            pledge_id=pledge.pk,
            campaign_id=pledge.campaign_id,
            user_id=pledge.user_id,
            amount=pledge.amount,
            currency=pledge.currency,
            receipt_token_hash=pledge.receipt_token_hash,
            donor_email=pledge.donor_email,
            donor_name=pledge.donor_name,
        )
    except PaymentsUnavailable:
        raise Problem(503, UNREACHABLE, plan_id=plan.pk) from None
    except PaymentsRefused as refusal:
        detail = str(refusal.body.get("detail") or "The first payment was refused.")
        raise Problem(refusal.status, detail, plan_id=plan.pk) from None
    return Outcome.of(plan_answer_record(record=record, payment=payment), replayed=replayed)


def plan_answer_record(
    *, record: PlanIdempotencyRecord, payment: dict[str, Any]
) -> PlanIdempotencyRecord:
    """Answer ``record`` with the plan and its first installment; only the first answer sticks."""
    plan = RecurringPlan.objects.get(pk=record.plan_id)
    pledge = plan_first_pledge(plan_id=plan.pk)
    body = {
        **plan_output(plan),
        "first_installment": {"pledge": pledge_output(pledge), "payment": payment},
    }
    answered = PlanIdempotencyRecord.objects.filter(pk=record.pk, answered=False).update(
        response_body=body, answered=True
    )
    if answered:
        record.response_body, record.answered = body, True
        return record
    return PlanIdempotencyRecord.objects.select_related("plan").get(pk=record.pk)
