"""3-D Secure completed by the donor (docs/recurring.md "Completing 3-D Secure").

An installment declined with ``authentication_required`` is the plan's pending authentication
until a later attempt of its period exists. ``POST /api/recurring/{id}/installments/{pledge
id}/authenticate`` makes that later attempt now, on-session:

1. **The transaction**, under the plan's row lock (the scheduler takes the same row, so of a
   due retry and this request one makes the attempt and the other finds it): the next attempt
   of the period (``by_donor``, unique ``(plan, period, attempt)`` as the backstop), its PENDING
   pledge and ``PLEDGE_CREATED``; a retry the schedule was waiting for is superseded (the
   schedule moves to the next period). No ``INSTALLMENT_DUE``: nothing is charged off-session.
2. **The call**, after the commit: payment_service makes the attempt's payment for the browser
   (``client_secret``), idempotent on the pledge.

A repeat while that attempt is pending asks payment_service again and gets the same payment
(its 409), so a request that died before answering, or met payment_service down, is finished
by the next one; once the attempt is settled, or another attempt exists, it is 409.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from careforall_common.outbox.services import outbox_publish
from careforall_common.problems import Problem
from plans.clients.payments import PaymentsRefused, PaymentsUnavailable, authenticated_payment
from plans.models import (
    AUTHENTICATION_REQUIRED,
    Installment,
    InstallmentStatus,
    PlanStatus,
    RecurringPlan,
)
from plans.periods import period_start
from plans.selectors import (
    campaign_final,
    installment_next_attempt,
    installment_of_pledge,
    plans_pending_authentication,
)
from plans.services.changes import UNREACHABLE, plan_lock, plan_save
from pledges.events import pledge_created_event
from pledges.holds import campaign_held
from pledges.models import Pledge
from pledges.services import Donor, pledge_insert

NOT_PENDING = "This installment no longer waits for authentication."


@dataclass(frozen=True)
class Authentication:
    """The attempt made for the donor, its payment, and whether an earlier request made it."""

    pledge: Pledge
    payment: dict[str, Any]
    replayed: bool


def installment_authenticate(*, plan_id: int, pledge_id: int) -> Authentication:
    """Make the next attempt of the declined installment ``pledge_id`` and its payment.

    404 unless the pledge is an installment of the plan declined for authentication, 409 once
    it no longer waits; 503 while payment_service cannot be reached (a repeat finishes it).
    Calls payment_service: never inside a transaction.
    """
    installment, replayed = installment_attempt_make(plan_id=plan_id, pledge_id=pledge_id)
    pledge = installment.pledge
    assert pledge is not None  # noqa: S101  (an attempt made here has its pledge)
    try:
        payment = authenticated_payment(
            plan_id=plan_id,
            pledge_id=pledge.pk,
            campaign_id=pledge.campaign_id,
            user_id=pledge.user_id,
            amount=pledge.amount,
            currency=pledge.currency,
            receipt_token_hash=pledge.receipt_token_hash,
        )
    except PaymentsUnavailable:
        raise Problem(503, UNREACHABLE, plan_id=plan_id, pledge_id=pledge.pk) from None
    except PaymentsRefused as refusal:
        detail = str(refusal.body.get("detail") or "The payment was refused.")
        raise Problem(refusal.status, detail, plan_id=plan_id, pledge_id=pledge.pk) from None
    return Authentication(pledge=pledge, payment=payment, replayed=replayed)


@transaction.atomic(durable=True)
def installment_attempt_make(*, plan_id: int, pledge_id: int) -> tuple[Installment, bool]:
    """The donor's attempt of the declined installment's period: made now (False) or made by
    an earlier request and still pending (True)."""
    plan = plan_lock(plan_id=plan_id)
    declined = installment_of_pledge(pledge_id=pledge_id)
    if declined is None or declined.plan_id != plan.pk or not _declined_for_3ds(declined):
        raise Problem(404, "No installment of this plan waits for authentication.")
    later = installment_next_attempt(installment=declined)
    if later is not None:
        if later.by_donor and later.status == InstallmentStatus.PENDING:
            return later, True
        raise _not_pending(plan, later)
    pending = plans_pending_authentication([plan]).get(plan.pk)
    if pending is None or pending.pk != declined.pk:
        raise _not_pending(plan, pending)
    if campaign_final(campaign_id=plan.campaign_id):
        raise Problem(409, "This campaign is not taking pledges.", campaign_id=plan.campaign_id)
    return _attempt_insert(plan, declined), False


def _declined_for_3ds(installment: Installment) -> bool:
    return (
        installment.status == InstallmentStatus.FAILED
        and AUTHENTICATION_REQUIRED in installment.error
    )


def _not_pending(plan: RecurringPlan, other: Installment | None) -> Problem:
    """409, naming the attempt that took the declined one's place, if one did."""
    extra: dict[str, Any] = {"plan_id": plan.pk}
    if other is not None:
        extra.update(pledge_id=other.pledge_id, period=other.period, attempt=other.attempt)
    if plan.status == PlanStatus.CANCELED:
        return Problem(409, "This plan is canceled.", **extra)
    return Problem(409, NOT_PENDING, **extra)


def _attempt_insert(plan: RecurringPlan, declined: Installment) -> Installment:
    """Insert the next attempt of ``declined``'s period, its pledge and ``PLEDGE_CREATED``."""
    donor = Donor(user_id=plan.user_id, name=plan.donor_name, email=plan.donor_email)
    amount = declined.amount or plan.amount
    pledge = pledge_insert(
        donor=donor,
        campaign_id=plan.campaign_id,
        amount=amount,
        currency=plan.currency,
        anonymous=plan.anonymous,
        plan_id=plan.pk,
    )
    try:
        installment = Installment.objects.create(
            plan=plan,
            period=declined.period,
            attempt=declined.attempt + 1,
            pledge=pledge,
            due_at=timezone.now(),
            amount=amount,
            by_donor=True,
        )
    except IntegrityError:  # the backstop: the schedule's attempt exists (never under the lock)
        raise Problem(409, NOT_PENDING, plan_id=plan.pk) from None
    # After the pledge's insert, so that a campaign's hold and this pledge never miss each other.
    if campaign_held(campaign_id=plan.campaign_id):
        raise Problem(409, "This campaign is not taking pledges.", campaign_id=plan.campaign_id)
    if (plan.next_period, plan.next_attempt) == (declined.period, declined.attempt + 1):
        _retry_supersede(plan)
    outbox_publish(pledge_created_event(pledge))
    return installment


def _retry_supersede(plan: RecurringPlan) -> None:
    """The retry the schedule waited for is this attempt: point it at the next period."""
    assert plan.anchor_at is not None  # noqa: S101  (a declined later installment: started)
    plan.next_period, plan.next_attempt = plan.next_period + 1, 1
    plan.next_charge_at = period_start(
        anchor=plan.anchor_at, interval=plan.interval, period=plan.next_period
    )
    plan_save(plan, fields=["next_period", "next_attempt", "next_charge_at"], changed=False)
