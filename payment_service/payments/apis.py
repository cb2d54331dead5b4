from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.http import HttpRequest, HttpResponse
from rest_framework import exceptions
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careforall_common.auth import PlatformUser, platform_user, reader_of
from careforall_common.contracts.receipts import receipt_token_matches
from careforall_common.fields import StrictCharField, StrictIntegerField, StrictSerializer
from careforall_common.idempotency import HEADER, idempotency_key_parse
from careforall_common.lean import (
    LeanPostMixin,
    NotPlain,
    json_response,
    plain_caller,
    plain_json_body,
)
from careforall_common.problems import Problem
from defence.addresses import client_address
from defence.outputs import challenge_output
from defence.services import Requester
from payments import selectors, services
from payments.idempotency import Payer, payment_idempotency
from payments.inputs import MAX_ID, payment_input
from payments.models import Payment
from payments.outputs import payment_output
from transparency.selectors import transparency_block


# A plain create is answered by ``lean_post`` (careforall_common.lean), every other request by
# DRF: the same answers, without DRF's per-request cost on the hot path. (Not in the docstring:
# that is the operation's description in the OpenAPI document.)
class PaymentCreateApi(LeanPostMixin, APIView):
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
        # A guest's answer to the card-testing challenge, asked for with a 403 (SPEC §3).
        challenge_token = StrictCharField(min_length=1, max_length=2048, required=False)

    def post(self, request: Request) -> Response:
        key = idempotency_key_parse(request.headers.get(HEADER))
        data = self.InputSerializer.parse(request.data)
        caller = platform_user(request)
        if caller is None and "receipt_token" not in data:
            raise exceptions.NotAuthenticated("Sign in, or send the pledge's receipt_token.")
        body, status, headers = _payment_create(request, caller, key, data)
        return Response(body, status=status, headers=headers)

    def lean_post(self, request: HttpRequest, *, allow: str) -> HttpResponse:
        """``post`` of a plain request; ``NotPlain`` (before any write) hands it to DRF."""
        caller = plain_caller(request)
        key = idempotency_key_parse(request.META.get("HTTP_IDEMPOTENCY_KEY"))
        data = payment_input(plain_json_body(request))
        if data is None or (caller is None and "receipt_token" not in data):
            raise NotPlain  # DRF's refusal (a 401 carries its WWW-Authenticate)
        body, status, headers = _payment_create(request, caller, key, data)
        return json_response(body, status=status, allow=allow, headers=headers)


Created = tuple[dict[str, Any], int, dict[str, str] | None]


def _payment_create(
    request: HttpRequest, caller: PlatformUser | None, key: str, data: dict[str, Any]
) -> Created:
    """Pay the pledge once for ``key``: the answer's body, status and headers."""
    payer = Payer(user_id=caller.id if caller else None, receipt_token=data.get("receipt_token"))
    # The token is left out of the key's fingerprint: the same key goes through with one
    # after a 403 or 429 (neither recorded anything under it).
    fingerprinted = {k: v for k, v in data.items() if k != "challenge_token"}
    outcome = services.payment_create_once(
        idempotency=payment_idempotency(
            key=key, payer=payer, pledge_id=data["pledge_id"], body=fingerprinted
        ),
        payer=payer,
        pledge_id=data["pledge_id"],
        payment_method=data.get("payment_method", ""),
        requester=Requester(client_address(request), data.get("challenge_token")),
    )
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return outcome.body, outcome.status, headers


class PaymentDetailApi(APIView):
    def get(self, request: Request, payment_id: int) -> Response:
        payment = payment_for_reader(request, payment_id)
        # The donor's (or receipt token's) read carries the log's salt; staff never see it.
        block = transparency_block(payment.pk) if _donor(request, payment) else None
        return Response({**payment_output(payment), "transparency": block})


def _donor(request: Request, payment: Payment) -> bool:
    caller = platform_user(request)
    if caller is not None and payment.user_id == caller.id:
        return True
    token = request.query_params.get("receipt_token")
    return receipt_token_matches(token=token, token_hash=payment.receipt_token_hash)


def payment_for_reader(request: Request, payment_id: int) -> Payment:
    """The payment if the caller may read it (its donor, staff, its receipt token); else 401/404."""
    reader = reader_of(request, via="receipt_token")
    payment = selectors.payment_get_for_reader(
        payment_id=payment_id,
        user_id=reader.user_id,
        is_staff=reader.is_staff,
        receipt_token=reader.token,
    )
    if payment is None:
        raise Problem(404, "No payment with this id.")
    return payment


class PaymentConfigApi(APIView):
    """What the donor site needs to load Stripe.js (SPEC §3): public, the same for everyone.

    ``sandbox`` is true while the provider is the local sandbox: every page then says that no
    real money moves, and the test card numbers are shown.
    ``challenge`` says whether guests must answer the card-testing challenge now, and how to
    show it (``{mode, active, site_key, script_url}``).
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        body = {
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
            "js_url": settings.STRIPE_JS_URL,
            "sandbox": bool(settings.STRIPE_API_BASE),
            "challenge": challenge_output(),  # card-testing defence (defence.outputs)
        }
        return Response(body, headers={"Cache-Control": "public, max-age=60"})
