"""The truth of a reconciliation: a campaign's pledges and plans as pledge_service has them
(SPEC §5.2).

Its signed internal read ``GET /internal/pledges`` lists a campaign's pledges, each the payload
of its ``PLEDGE_CREATED`` as it is now, with what came back of it (``refunded_amount``, less
refunds that failed); ``GET /internal/plans`` lists its recurring plans, each the payload of its
latest ``PLAN_CHANGED``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from campaigns.models import PlanProjection, PledgeProjection, plan_monthly_amount
from careforall_common.contracts.events import ContractError, PlanChanged, PledgeCreated
from careforall_common.contracts.statuses import PledgeStatus
from reconciliation.clients.pledges import ReconcileError, plans_page, pledges_page


@dataclass(frozen=True)
class PledgeFacts:
    pledge_id: int
    campaign_id: int
    amount: int
    currency: str
    status: PledgeStatus


@dataclass(frozen=True)
class TruePledge:
    facts: PledgeFacts
    donor_name: str
    anonymous: bool
    occurred_at: datetime
    refunded_amount: int = 0

    def row_values(self) -> dict[str, Any]:
        return {
            "amount": self.facts.amount,
            "currency": self.facts.currency,
            "status": self.facts.status,
            "donor_name": self.donor_name,
            "anonymous": self.anonymous,
            "occurred_at": self.occurred_at,
        }


@dataclass(frozen=True)
class TruePlan:
    plan: PlanChanged

    @property
    def monthly_amount(self) -> int:
        plan = self.plan
        return plan_monthly_amount(status=plan.status, amount=plan.amount, interval=plan.interval)

    def row_values(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "status": plan.status,
            "amount": plan.amount,
            "currency": plan.currency,
            "interval": plan.interval,
        }


@dataclass(frozen=True)
class Snapshot:
    """A campaign's pledges and plans in pledge_service, when reading them began, and the
    projection rows (status, ``updated_at``) as they were just before."""

    campaign_id: int
    started_at: datetime
    pledges: dict[int, TruePledge]
    rows_before: dict[int, tuple[str, datetime]] = field(default_factory=dict)
    plans: dict[int, TruePlan] = field(default_factory=dict)
    plan_rows_before: dict[int, tuple[str, datetime]] = field(default_factory=dict)


def snapshot_fetch(*, campaign_id: int) -> Snapshot:
    """Read all pledges and plans of ``campaign_id`` from pledge_service, page by page."""
    started_at = timezone.now()
    rows_before = {
        pk: (status, updated_at)
        for pk, status, updated_at in PledgeProjection.objects.filter(
            campaign_id=campaign_id
        ).values_list("pk", "status", "updated_at")
    }
    plan_rows_before = {
        pk: (status, updated_at)
        for pk, status, updated_at in PlanProjection.objects.filter(
            campaign_id=campaign_id
        ).values_list("pk", "status", "updated_at")
    }
    pledges: dict[int, TruePledge] = {}
    after: int | None = None
    while True:
        body = pledges_page(campaign_id=campaign_id, after=after)
        try:
            for item in body["results"]:
                pledge = _true_pledge(item)
                pledges[pledge.facts.pledge_id] = pledge
            after = body["next_after"]
        except (KeyError, TypeError, ContractError) as error:
            raise ReconcileError(f"pledge_service answered outside the contract: {error}") from None
        if after is None:
            return Snapshot(
                campaign_id=campaign_id,
                started_at=started_at,
                pledges=pledges,
                rows_before=rows_before,
                plans=_plans_fetch(campaign_id),
                plan_rows_before=plan_rows_before,
            )


def _plans_fetch(campaign_id: int) -> dict[int, TruePlan]:
    plans: dict[int, TruePlan] = {}
    after: int | None = None
    while True:
        body = plans_page(campaign_id=campaign_id, after=after)
        try:
            for item in body["results"]:
                plan = TruePlan(PlanChanged.parse(item))
                if plan.plan.campaign_id != campaign_id:
                    raise ContractError(f"plan {plan.plan.plan_id} is of another campaign")
                plans[plan.plan.plan_id] = plan
            after = body["next_after"]
            if after is not None and (isinstance(after, bool) or not isinstance(after, int)):
                raise ContractError("next_after must be an integer or null")
        except (KeyError, TypeError, ContractError) as error:
            raise ReconcileError(f"pledge_service answered outside the contract: {error}") from None
        if after is None:
            return plans


def _true_pledge(item: Any) -> TruePledge:
    """A pledge of the internal read: the payload of its ``PLEDGE_CREATED``, as it is now."""
    pledge = PledgeCreated.parse(item)
    if pledge.created_at is None:
        raise ContractError("created_at must be an ISO-8601 timestamp")
    refunded = item.get("refunded_amount", 0)
    if isinstance(refunded, bool) or not isinstance(refunded, int) or refunded < 0:
        raise ContractError("refunded_amount must be a non-negative integer")
    facts = PledgeFacts(
        pledge_id=pledge.pledge_id,
        campaign_id=pledge.campaign_id,
        amount=pledge.amount,
        currency=pledge.currency,
        status=PledgeStatus(pledge.status),
    )
    return TruePledge(
        facts=facts,
        donor_name=pledge.donor_name,
        anonymous=pledge.anonymous,
        occurred_at=pledge.created_at,
        refunded_amount=refunded,
    )
