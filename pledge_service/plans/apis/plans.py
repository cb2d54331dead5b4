"""``/api/recurring``: set up, list, read, change, pause, resume, cancel, replace the card."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careforall_common.auth import PlatformUser, platform_user
from careforall_common.contracts.money import MAX_AMOUNT, MIN_AMOUNT
from careforall_common.contracts.plans import PLAN_INTERVALS
from careforall_common.fields import (
    CurrencyField,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictEmailField,
    StrictIntegerField,
    StrictSerializer,
)
from careforall_common.idempotency import HEADER, idempotency_key_parse
from careforall_common.pagination import paginated
from plans import selectors
from plans.apis.access import (
    ACTION_RESPONSES,
    MANAGE_TOKEN,
    MAX_ID,
    money_attempt_admit,
    plan_body,
    plan_for,
    plans_body,
)
from plans.models import CancelReason
from plans.services import changes
from plans.services.create import PlanOutcome, plan_create_once, plan_idempotency
from plans.tokens import manage_token
from pledges.donors import donor_fields_errors, guest_minimum_errors
from pledges.receipts import receipt_token
from pledges.services import Donor

IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="1-255 printable ASCII characters; one plan per key.",
)


def _created_response(outcome: PlanOutcome) -> Response:
    """The 201 of a create, first or replayed, with a guest's tokens recomputed (never stored)."""
    body = dict(outcome.body)
    plan = outcome.record.plan
    if plan.manage_nonce:
        body["manage_token"] = manage_token(nonce=plan.manage_nonce)
        pledge = selectors.plan_first_pledge(plan_id=plan.pk)
        first = dict(body["first_installment"])
        if pledge.receipt_nonce:
            first["pledge"] = {
                **first["pledge"],
                "receipt_token": receipt_token(nonce=pledge.receipt_nonce),
            }
        body["first_installment"] = first
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return Response(body, status=outcome.status, headers=headers)


def _donor(caller: PlatformUser | None, data: dict[str, Any]) -> Donor:
    if caller is None:
        return Donor(user_id=None, name=data["donor_name"], email=data["donor_email"])
    return Donor(user_id=caller.id, name=caller.name, email=caller.email)


def _admit(request: Request, *, donor: Donor, data: dict[str, Any]) -> None:
    money_attempt_admit(
        request,
        user_id=donor.user_id,
        email=donor.email,
        campaign_id=data["campaign_id"],
        challenge_token=data.get("challenge_token"),
        payment_method=data.get("payment_method", ""),
    )


class PlanListCreateApi(APIView):
    """Anyone may set a plan up (guests too); the list of one's plans needs an account."""

    class FilterSerializer(serializers.Serializer):
        campaign_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)

    class InputSerializer(StrictSerializer):
        campaign_id = StrictIntegerField(min_value=1, max_value=MAX_ID)
        amount = StrictIntegerField(min_value=MIN_AMOUNT, max_value=MAX_AMOUNT)
        currency = CurrencyField(required=False)
        interval = StrictChoiceField(choices=list(PLAN_INTERVALS))
        anonymous = StrictBooleanField(required=False)
        donor_name = StrictCharField(min_length=1, max_length=150, required=False)
        donor_email = StrictEmailField(required=False)
        payment_method = StrictCharField(min_length=1, max_length=255, required=False)
        challenge_token = StrictCharField(min_length=1, max_length=2048, required=False)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            # SPEC §3: as for pledges, an account's name and email come from its token.
            signed_in = self.context["signed_in"]
            errors = donor_fields_errors(attrs, signed_in=signed_in)
            if errors:
                raise serializers.ValidationError(errors)
            return attrs

    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        caller = platform_user(request)
        if caller is None:
            raise exceptions.NotAuthenticated()
        plans = selectors.plan_list(
            user_id=None if caller.is_staff else caller.id,
            campaign_id=filters.validated_data.get("campaign_id"),
        )
        return paginated(request, self, plans, plans_body)

    @extend_schema(parameters=[IDEMPOTENCY_KEY])
    def post(self, request: Request) -> Response:
        key = idempotency_key_parse(request.headers.get(HEADER))
        caller = platform_user(request)
        data = self.InputSerializer.parse(request.data, context={"signed_in": caller is not None})
        donor = _donor(caller, data)
        _admit(request, donor=donor, data=data)  # before the create: nothing under the key
        outcome = plan_create_once(
            idempotency=plan_idempotency(
                key=key, user_id=donor.user_id, email=donor.email, body=data
            ),
            donor=donor,
            campaign_id=data["campaign_id"],
            amount=data["amount"],
            currency=data.get("currency"),
            interval=data["interval"],
            anonymous=data.get("anonymous", False),
            payment_method=data.get("payment_method"),
        )
        return _created_response(outcome)


class PlanDetailApi(APIView):
    class InputSerializer(StrictSerializer):
        amount = StrictIntegerField(min_value=MIN_AMOUNT, max_value=MAX_AMOUNT)

    @extend_schema(parameters=[MANAGE_TOKEN])
    def get(self, request: Request, plan_id: int) -> Response:
        plan, _ = plan_for(request, plan_id)
        return Response(plan_body(plan))

    @extend_schema(parameters=[MANAGE_TOKEN])
    def patch(self, request: Request, plan_id: int) -> Response:
        plan, _ = plan_for(request, plan_id)
        data = self.InputSerializer.parse(request.data)
        if plan.user_id is None and (errors := guest_minimum_errors(data["amount"])):
            raise exceptions.ValidationError(errors)
        plan = changes.plan_amount_change(plan_id=plan.pk, amount=data["amount"])
        return Response(plan_body(plan))


class PlanPauseApi(APIView):
    class InputSerializer(StrictSerializer):
        until = serializers.DateTimeField(required=False, allow_null=True)

    @extend_schema(parameters=[MANAGE_TOKEN], responses=ACTION_RESPONSES)
    def post(self, request: Request, plan_id: int) -> Response:
        plan, _ = plan_for(request, plan_id)
        data = self.InputSerializer.parse(request.data)
        plan = changes.plan_pause(plan_id=plan.pk, until=data.get("until"))
        return Response(plan_body(plan))


class PlanResumeApi(APIView):
    class InputSerializer(StrictSerializer):
        pass

    @extend_schema(parameters=[MANAGE_TOKEN], responses=ACTION_RESPONSES)
    def post(self, request: Request, plan_id: int) -> Response:
        plan, _ = plan_for(request, plan_id)
        self.InputSerializer.parse(request.data)
        return Response(plan_body(changes.plan_resume(plan_id=plan.pk)))


class PlanCancelApi(APIView):
    class InputSerializer(StrictSerializer):
        pass

    @extend_schema(parameters=[MANAGE_TOKEN], responses=ACTION_RESPONSES)
    def post(self, request: Request, plan_id: int) -> Response:
        plan, caller = plan_for(request, plan_id)
        self.InputSerializer.parse(request.data)
        # Staff cancelling someone else's plan is staff's decision; anyone else is the donor.
        by_staff = caller is not None and caller.is_staff and plan.user_id != caller.id
        reason = CancelReason.STAFF if by_staff else CancelReason.DONOR
        return Response(plan_body(changes.plan_cancel(plan_id=plan.pk, reason=reason)))


class PlanPaymentMethodApi(APIView):
    """Replace the plan's card: a SetupIntent for the browser, or a payment method confirmed
    server-side (then the plan is answered). A payment attempt: the card-testing gate first."""

    class InputSerializer(StrictSerializer):
        payment_method = StrictCharField(min_length=1, max_length=255, required=False)
        challenge_token = StrictCharField(min_length=1, max_length=2048, required=False)

    @extend_schema(parameters=[MANAGE_TOKEN], responses=ACTION_RESPONSES)
    def post(self, request: Request, plan_id: int) -> Response:
        plan, _ = plan_for(request, plan_id)
        data = self.InputSerializer.parse(request.data)
        money_attempt_admit(
            request,
            user_id=plan.user_id,
            email=plan.donor_email,
            campaign_id=plan.campaign_id,
            challenge_token=data.get("challenge_token"),
            payment_method=data.get("payment_method", ""),
        )
        intent = changes.plan_card_change(plan=plan, payment_method=data.get("payment_method"))
        if intent is not None:
            return Response(intent)
        return Response(plan_body(selectors.plan_get(plan_id=plan.pk)))
