from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from rest_framework import exceptions
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careforall_common.auth import platform_user
from careforall_common.fields import StrictCharField, StrictIntegerField, StrictSerializer
from careforall_common.idempotency import HEADER, idempotency_key_parse, idempotency_request
from careforall_common.problems import Problem
from payments import refunds, selectors, services, webhooks
from payments.idempotency import Payer, payment_idempotency
from payments.metrics import webhook_counted
from payments.models import MAX_AMOUNT
from payments.outputs import payment_output

MAX_ID = 2**63 - 1  # ids are BIGINT: a larger one is no id at all (400, not a database error)


class PaymentCreateApi(APIView):
    """Pay a pledge: its donor, or a guest with the pledge's receipt token (SPEC §3).

    With ``payment_method`` the platform confirms the intent (API clients); without it the
    donor's browser does, with the ``client_secret`` and ``publishable_key`` of the answer.
    """

    class InputSerializer(StrictSerializer):
        pledge_id = StrictIntegerField(min_value=1, max_value=MAX_ID)
        # A provider payment-method id, such as pm_card_visa.
        payment_method = StrictCharField(
            max_length=255,
            required=False,
            validators=[RegexValidator(r"^pm_[A-Za-z0-9_]+\Z", "A payment method id (pm_…).")],
        )
        receipt_token = StrictCharField(min_length=1, max_length=255, required=False)

    def post(self, request: Request) -> Response:
        key = idempotency_key_parse(request.headers.get(HEADER))
        data = self.InputSerializer.parse(request.data)
        caller = platform_user(request)
        if caller is None and "receipt_token" not in data:
            raise exceptions.NotAuthenticated("Sign in, or send the pledge's receipt_token.")
        payer = Payer(
            user_id=caller.id if caller else None, receipt_token=data.get("receipt_token")
        )
        outcome = services.payment_create_once(
            idempotency=payment_idempotency(
                key=key, payer=payer, pledge_id=data["pledge_id"], body=data
            ),
            payer=payer,
            pledge_id=data["pledge_id"],
            payment_method=data.get("payment_method", ""),
        )
        headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
        return Response(outcome.body, status=outcome.status, headers=headers)


class PaymentDetailApi(APIView):
    def get(self, request: Request, payment_id: int) -> Response:
        return Response(payment_output(_payment_for_reader(request, payment_id)))


class PaymentRefundsApi(APIView):
    """A payment's refunds: staff refund it (POST); its donor, staff or a receipt token read them.

    POST ``{amount?, reason?}`` with ``Idempotency-Key`` → 201 ``Refund``; ``amount`` defaults
    to what is left to refund; more than that → 409 with ``refundable_amount`` (SPEC §3).
    """

    class InputSerializer(StrictSerializer):
        amount = StrictIntegerField(min_value=1, max_value=MAX_AMOUNT, required=False)
        reason = StrictCharField(max_length=500, required=False, allow_blank=True)

    def post(self, request: Request, payment_id: int) -> Response:
        caller = platform_user(request)
        if caller is None:
            raise exceptions.NotAuthenticated()
        if not caller.is_staff:
            raise exceptions.PermissionDenied("Only staff refund payments.")
        key = idempotency_key_parse(request.headers.get(HEADER))
        data = self.InputSerializer.parse(request.data)
        outcome = refunds.refund_request(
            payment_id=payment_id,
            idempotency=idempotency_request(
                key=key,
                scope=f"staff-refund:{caller.id}",
                body={"payment_id": payment_id, **data},
            ),
            amount=data.get("amount"),
            reason=data.get("reason", ""),
            staff_user_id=caller.id,
        )
        headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
        return Response(outcome.body, status=outcome.status, headers=headers)

    def get(self, request: Request, payment_id: int) -> Response:
        payment = _payment_for_reader(request, payment_id)
        found = selectors.payment_refunds(payment=payment)
        return Response({"results": [refunds.refund_output(refund) for refund in found]})


def _payment_for_reader(request: Request, payment_id: int) -> Any:
    caller = platform_user(request)
    token = request.query_params.get("receipt_token")
    if caller is None and not token:
        raise exceptions.NotAuthenticated()
    payment = selectors.payment_get_for_reader(
        payment_id=payment_id,
        user_id=caller.id if caller else None,
        is_staff=bool(caller and caller.is_staff),
        receipt_token=token,
    )
    if payment is None:
        raise Problem(404, "No payment with this id.")
    return payment


class PaymentConfigApi(APIView):
    """What the donor site needs to load Stripe.js (SPEC §3): public, the same for everyone.

    ``sandbox`` is true while the provider is the local sandbox: every page then says that no
    real money moves, and the test card numbers are shown.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        body = {
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
            "js_url": settings.STRIPE_JS_URL,
            "sandbox": bool(settings.STRIPE_API_BASE),
        }
        return Response(body, headers={"Cache-Control": "public, max-age=60"})


class PaymentWebhookApi(APIView):
    """The provider's webhook: Stripe-signed events, verified on the raw body (SPEC §3)."""

    # The provider signs; no platform credential applies (and none may be needed).
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def post(self, request: Request) -> Response:
        try:
            event = webhooks.webhook_event_verify(
                payload=request.body, signature=request.headers.get("Stripe-Signature")
            )
        except Problem as refusal:
            webhook_counted("not_an_event" if "not an event" in str(refusal) else "bad_signature")
            raise
        result = webhooks.webhook_event_handle(event)
        webhook_counted(result)
        return Response({"received": True, "result": result})
