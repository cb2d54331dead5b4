"""Reads of recurring plans: who may read which, which are due."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from careforall_common.contracts.receipts import receipt_token_matches
from careforall_common.contracts.statuses import CAMPAIGN_FINAL
from plans.models import (
    AUTHENTICATION_REQUIRED,
    Installment,
    InstallmentStatus,
    PlanStatus,
    RecurringPlan,
)
from pledges.models import CampaignFacts, Pledge

# The plans the scheduler charges (a paused plan waits, a canceled or incomplete one is never).
CHARGING = (PlanStatus.ACTIVE, PlanStatus.PAST_DUE)


def plan_list(*, user_id: int | None, campaign_id: int | None = None) -> QuerySet[RecurringPlan]:
    """The plans of ``user_id`` (every plan when None), optionally of one campaign; unordered
    (the cursor paginator orders by ``-id``, which the ``(user_id, id)`` index serves)."""
    plans = RecurringPlan.objects.all()
    if user_id is not None:
        plans = plans.filter(user_id=user_id)
    if campaign_id is not None:
        plans = plans.filter(campaign_id=campaign_id)
    return plans


def plan_get_for_reader(
    *, plan_id: int, user_id: int | None, is_staff: bool, manage_token: str | None
) -> RecurringPlan | None:
    """The plan if the caller may read and manage it (SPEC §3), else None (a 404, as missing).

    Staff every plan, a donor their own, anyone holding the guest's manage token that one.
    """
    plan = RecurringPlan.objects.filter(pk=plan_id).first()
    if plan is None:
        return None
    if is_staff or (user_id is not None and plan.user_id == user_id):
        return plan
    if manage_token and receipt_token_matches(
        token=manage_token, token_hash=plan.manage_token_hash
    ):
        return plan
    return None


def plan_get(*, plan_id: int) -> RecurringPlan:
    return RecurringPlan.objects.get(pk=plan_id)


def plan_first_pledge(*, plan_id: int) -> Pledge:
    """The pledge of the plan's first installment (period 0, attempt 1)."""
    installment = Installment.objects.select_related("pledge").get(
        plan_id=plan_id, period=0, attempt=1
    )
    assert installment.pledge is not None  # noqa: S101  (period 0 is never skipped)
    return installment.pledge


def plans_due_q(now: datetime) -> Q:
    """Plans the scheduler has work for: an installment due, or a pause that has ended."""
    return Q(status__in=CHARGING, next_charge_at__lte=now) | Q(
        status=PlanStatus.PAUSED, paused_until__lte=now
    )


def plans_due_exist() -> bool:
    """Whether a plan is due (two indexed queries, for the beat's look)."""
    now = timezone.now()
    charging = RecurringPlan.objects.filter(status__in=CHARGING, next_charge_at__lte=now)
    pause_ended = RecurringPlan.objects.filter(status=PlanStatus.PAUSED, paused_until__lte=now)
    return charging.exists() or pause_ended.exists()


def plans_due_ids(*, limit: int, exclude: set[int]) -> list[int]:
    """Up to ``limit`` ids of due plans, the longest due first; unlocked candidates."""
    return list(
        RecurringPlan.objects.filter(plans_due_q(timezone.now()))
        .exclude(pk__in=exclude)
        .order_by("next_charge_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def installment_of_pledge(*, pledge_id: int) -> Installment | None:
    return Installment.objects.filter(pledge_id=pledge_id).first()


def plans_of_campaign_open(*, campaign_id: int) -> list[int]:
    """The ids of a campaign's plans that are not canceled."""
    return list(
        RecurringPlan.objects.filter(campaign_id=campaign_id)
        .exclude(status=PlanStatus.CANCELED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def campaign_final(*, campaign_id: int) -> bool:
    """Whether the local copy of the campaign's facts says it closed or was deleted."""
    return CampaignFacts.objects.filter(campaign_id=campaign_id, status__in=CAMPAIGN_FINAL).exists()


def plans_after(*, after: int, limit: int, campaign_id: int | None = None) -> list[RecurringPlan]:
    """Up to ``limit`` plans with an id above ``after``, in id order (``plan_campaign_id_idx``)."""
    plans = RecurringPlan.objects.filter(pk__gt=after)
    if campaign_id is not None:
        plans = plans.filter(campaign_id=campaign_id)
    return list(plans.order_by("id")[:limit])


def plans_pending_authentication(plans: list[RecurringPlan]) -> dict[int, Installment]:
    """Per plan id, the installment attempt waiting for the donor's 3-D Secure, if any.

    The plan's latest attempt that FAILED with ``authentication_required``, while no later
    attempt of its period exists and the plan is not canceled (docs/recurring.md). Two queries
    for any number of plans.
    """
    open_ids = [plan.pk for plan in plans if plan.status != PlanStatus.CANCELED]
    latest: dict[int, Installment] = {}
    declined = Installment.objects.filter(
        plan_id__in=open_ids,
        status=InstallmentStatus.FAILED,
        error__contains=AUTHENTICATION_REQUIRED,
        pledge__isnull=False,
    ).order_by("plan_id", "-period", "-attempt")
    for installment in declined:
        latest.setdefault(installment.plan_id, installment)
    if not latest:
        return {}
    later = Q()
    for installment in latest.values():
        later |= Q(
            plan_id=installment.plan_id,
            period=installment.period,
            attempt__gt=installment.attempt,
        )
    superseded = set(Installment.objects.filter(later).values_list("plan_id", flat=True))
    return {plan_id: i for plan_id, i in latest.items() if plan_id not in superseded}


def installment_next_attempt(*, installment: Installment) -> Installment | None:
    """The first attempt of ``installment``'s period made after it, if any."""
    return (
        Installment.objects.filter(
            plan_id=installment.plan_id,
            period=installment.period,
            attempt__gt=installment.attempt,
        )
        .select_related("pledge")
        .order_by("attempt")
        .first()
    )
