"""``POST /api/recurring/{id}/installments/{pledge id}/authenticate``: the donor completes the
3-D Secure a declined installment needs (docs/recurring.md "Completing 3-D Secure")."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careforall_common.fields import StrictCharField, StrictSerializer
from careforall_common.openapi import ERRORS, PROBLEM, PROBLEM_SCHEMA
from plans.apis.access import MANAGE_TOKEN, money_attempt_admit, plan_for
from plans.services.authenticate import installment_authenticate
from pledges.outputs import pledge_output
from pledges.receipts import receipt_token

CREATED: dict[Any, Any] = {
    201: OpenApiResponse(OpenApiTypes.OBJECT, description="{pledge, payment}"),
    **{(status, PROBLEM): OpenApiResponse(PROBLEM_SCHEMA) for status in ERRORS},
}


class PlanInstallmentAuthenticateApi(APIView):
    """The next attempt of the declined installment's period, and its payment for the browser
    (``client_secret``, ``publishable_key``): 201 ``{pledge, payment}``, a guest's pledge with
    its ``receipt_token``. A repeat while that attempt is pending answers it again (201,
    ``Idempotent-Replayed``); 404 unless the pledge is the plan's pending authentication, 409
    once it no longer is."""

    class InputSerializer(StrictSerializer):
        challenge_token = StrictCharField(min_length=1, max_length=2048, required=False)

    @extend_schema(parameters=[MANAGE_TOKEN], responses=CREATED)
    def post(self, request: Request, plan_id: int, pledge_id: int) -> Response:
        plan, _ = plan_for(request, plan_id)
        data = self.InputSerializer.parse(request.data)
        money_attempt_admit(
            request,
            user_id=plan.user_id,
            email=plan.donor_email,
            campaign_id=plan.campaign_id,
            challenge_token=data.get("challenge_token"),
        )
        made = installment_authenticate(plan_id=plan.pk, pledge_id=pledge_id)
        pledge = pledge_output(made.pledge)
        if made.pledge.receipt_nonce:
            pledge["receipt_token"] = receipt_token(nonce=made.pledge.receipt_nonce)
        headers = {"Idempotent-Replayed": "true"} if made.replayed else None
        return Response({"pledge": pledge, "payment": made.payment}, status=201, headers=headers)
