"""pledge_service's signed calls about plans (docs/recurring.md "Internal calls"); the gateway
never routes ``/internal/``, and only pledge_service may call them."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from django.core.validators import RegexValidator
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careforall_common.contracts.money import MAX_AMOUNT, MIN_AMOUNT
from careforall_common.fields import (
    CurrencyField,
    StrictCharField,
    StrictIntegerField,
    StrictSerializer,
)
from careforall_common.internal import IsSignedInternalCall
from careforall_common.problems import Problem
from payments.apis import MAX_ID
from payments.services import UNREACHABLE
from payments.stripe_client import ProviderUnavailable
from saved_cards.services.cards import plan_card_change
from saved_cards.services.plan_payments import (
    PlanPledge,
    authenticated_payment_once,
    first_payment_once,
)

PAYMENT_METHOD = RegexValidator(r"^pm_[A-Za-z0-9_]+\Z", "A payment method id (pm_…).")
TOKEN_HASH = RegexValidator(r"^[0-9a-f]{64}\Z", "A SHA-256 hex digest.")


class PlanPledgeSerializer(StrictSerializer):
    plan_id = StrictIntegerField(min_value=1, max_value=MAX_ID)
    pledge_id = StrictIntegerField(min_value=1, max_value=MAX_ID)
    campaign_id = StrictIntegerField(min_value=1, max_value=MAX_ID)
    user_id = StrictIntegerField(min_value=1, max_value=MAX_ID, allow_null=True)
    amount = StrictIntegerField(min_value=MIN_AMOUNT, max_value=MAX_AMOUNT)
    currency = CurrencyField()
    receipt_token_hash = StrictCharField(allow_null=True, validators=[TOKEN_HASH])


def plan_pledge(data: dict[str, Any]) -> PlanPledge:
    return PlanPledge(**{field.name: data[field.name] for field in fields(PlanPledge)})


class InternalApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [IsSignedInternalCall]
    allowed_senders = ("pledge",)


class FirstPaymentInternalApi(InternalApi):
    """The plan's first payment, saving the card: 201, or 409 with the pledge's payment."""

    class InputSerializer(PlanPledgeSerializer):
        donor_email = StrictCharField(max_length=254, allow_blank=True, allow_null=True)
        donor_name = StrictCharField(max_length=255, allow_blank=True, allow_null=True)
        payment_method = StrictCharField(
            max_length=255, required=False, validators=[PAYMENT_METHOD]
        )
        # pledge_service admits the attempt itself (card-testing defence): not used here.
        challenge_token = StrictCharField(max_length=4096, required=False, allow_null=True)

    def post(self, request: Request) -> Response:
        data = self.InputSerializer.parse(request.data)
        answer = first_payment_once(
            pledge=plan_pledge(data),
            donor_email=data["donor_email"] or "",
            donor_name=data["donor_name"] or "",
            payment_method=data.get("payment_method", ""),
        )
        return Response(answer.body, status=answer.status)


class PlanCardInternalApi(InternalApi):
    """A new card for the plan: a SetupIntent for the browser, or one confirmed here."""

    class InputSerializer(StrictSerializer):
        plan_id = StrictIntegerField(min_value=1, max_value=MAX_ID)
        payment_method = StrictCharField(
            max_length=255, required=False, validators=[PAYMENT_METHOD]
        )

    def post(self, request: Request, plan_id: int) -> Response:
        data = self.InputSerializer.parse(request.data)
        if data["plan_id"] != plan_id:  # the signature covers the body, not the path
            raise Problem(400, "plan_id differs from the path's.")
        try:
            body = plan_card_change(plan_id=plan_id, payment_method=data.get("payment_method", ""))
        except ProviderUnavailable:
            raise Problem(503, UNREACHABLE) from None
        return Response(body)


class AuthenticatedPaymentInternalApi(InternalApi):
    """An installment's new attempt with the saved card, which the donor authenticates (3-D
    Secure) in the browser: 201 with the client secret, or 409 with the pledge's payment."""

    InputSerializer = PlanPledgeSerializer

    def post(self, request: Request, plan_id: int) -> Response:
        data = self.InputSerializer.parse(request.data)
        if data["plan_id"] != plan_id:
            raise Problem(400, "plan_id differs from the path's.")
        answer = authenticated_payment_once(pledge=plan_pledge(data))
        return Response(answer.body, status=answer.status)
