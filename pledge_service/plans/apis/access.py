"""What the plan routes share: who may open a plan, the plan's JSON, the card-testing gate.

Every route of one plan opens it for its donor, staff, or whoever presents the guest's
``?manage_token=``; anyone else gets 404, as for a plan that does not exist, and a caller with no
credentials at all 401.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.request import Request

from careforall_common.auth import PlatformUser, reader_of
from careforall_common.defence.attempts import Attempt, attempt_admit
from careforall_common.openapi import ERRORS, PROBLEM, PROBLEM_SCHEMA
from careforall_common.problems import Problem
from plans import selectors
from plans.models import RecurringPlan
from plans.outputs import plan_output

MAX_ID = 2**63 - 1
MANAGE_TOKEN = OpenApiParameter(
    "manage_token", OpenApiTypes.STR, OpenApiParameter.QUERY, description="A guest's plan token."
)

# The plan's actions answer 200 (not the 201 of a create) with the plan.
ACTION_RESPONSES: dict[Any, Any] = {
    200: OpenApiResponse(OpenApiTypes.OBJECT),
    **{(status, PROBLEM): OpenApiResponse(PROBLEM_SCHEMA) for status in ERRORS},
}


def plan_for(request: Request, plan_id: int) -> tuple[RecurringPlan, PlatformUser | None]:
    """The plan the caller may manage and the caller; 401 without credentials, else 404."""
    reader = reader_of(request, via="manage_token")
    plan = selectors.plan_get_for_reader(
        plan_id=plan_id,
        user_id=reader.user_id,
        is_staff=reader.is_staff,
        manage_token=reader.token,
    )
    if plan is None:
        raise Problem(404, "No recurring plan with this id.")
    return plan, reader.user


def plans_body(plans: list[RecurringPlan]) -> list[dict[str, Any]]:
    """The JSON of ``plans``, each with its pending authentication (two queries in all)."""
    pending = selectors.plans_pending_authentication(plans)
    return [
        plan_output(
            plan,
            pending_pledge_id=pending[plan.pk].pledge_id if plan.pk in pending else None,
        )
        for plan in plans
    ]


def plan_body(plan: RecurringPlan) -> dict[str, Any]:
    return plans_body([plan])[0]


def client_address(request: Request) -> str:
    """The client's address: the gateway sends the one it decided, alone, in X-Forwarded-For
    (nginx/careforall.conf.template); without the gateway, the peer's."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    address = forwarded.rsplit(",", 1)[-1].strip()
    return address or str(request.META.get("REMOTE_ADDR", ""))


def money_attempt_admit(
    request: Request,
    *,
    user_id: int | None,
    email: str,
    campaign_id: int,
    challenge_token: str | None,
    payment_method: str = "",
) -> None:
    """SPEC §3 "Card-testing defence": before anything is written or any call is made for an
    attempt to move money — 429 (``Retry-After``) over a limit, 403 ``challenge-required`` for a
    guest while challenge mode is active. Nothing is recorded under the request's key."""
    attempt_admit(
        Attempt(
            address=client_address(request),
            user_id=user_id,
            email=email,
            campaign_id=campaign_id,
            challenge_token=challenge_token,
            payment_method=payment_method,
        )
    )
