from __future__ import annotations

from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careforall_common.admin_auth import platform_staff_status
from careforall_common.auth import PlatformUser, platform_user
from careforall_common.contracts.money import MAX_AMOUNT
from careforall_common.fields import StrictCharField, StrictIntegerField, StrictSerializer
from careforall_common.idempotency import HEADER, idempotency_key_parse, idempotency_request
from careforall_common.problems import Problem
from payments.apis import payment_for_reader
from refunds import selectors, services
from refunds.outputs import refund_output


class PaymentRefundsApi(APIView):
    """A payment's refunds: staff refund it (POST); its donor, staff or a receipt token read them.

    POST ``{amount?, reason?}`` with ``Idempotency-Key`` → 201 ``Refund``; ``amount`` defaults
    to what is left to refund; more than that → 409 with ``refundable_amount`` (SPEC §3). The
    token's staff role is checked again with user_service on each refund (a token outlives a
    demotion by up to 15 minutes): no longer staff → 403; user_service silent → 503. ``reason``
    is shown to staff only.
    """

    class InputSerializer(StrictSerializer):
        amount = StrictIntegerField(min_value=1, max_value=MAX_AMOUNT, required=False)
        reason = StrictCharField(max_length=500, required=False, allow_blank=True)

    def post(self, request: Request, payment_id: int) -> Response:
        caller = platform_user(request)
        if caller is None:
            raise exceptions.NotAuthenticated()
        staff_confirm(caller)
        key = idempotency_key_parse(request.headers.get(HEADER))
        data = self.InputSerializer.parse(request.data)
        outcome = services.refund_request(
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
        payment = payment_for_reader(request, payment_id)
        found = selectors.payment_refunds(payment=payment)
        caller = platform_user(request)
        staff = bool(caller and caller.is_staff)
        return Response({"results": [refund_output(r, with_reason=staff) for r in found]})


def staff_confirm(caller: PlatformUser) -> None:
    """403 unless the caller is staff by its token and, asked now, by user_service (the signed
    ``GET /internal/accounts/staff`` the admins' recheck uses); 503 when it cannot answer:
    money fails closed."""
    if not caller.is_staff:
        raise exceptions.PermissionDenied("Only staff refund payments.")
    staff = platform_staff_status(email=caller.email)
    if staff is None:
        raise Problem(503, "Your staff status cannot be checked right now; try again shortly.")
    if not staff:
        raise exceptions.PermissionDenied("This account is no longer active staff.")
