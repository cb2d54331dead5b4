from __future__ import annotations

from typing import Any

from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careforall_common.problems import Problem
from provider_events import handlers, services
from provider_events.metrics import webhook_counted


class PaymentWebhookApi(APIView):
    """The provider's webhook: Stripe-signed events, verified on the raw body (SPEC §3)."""

    # The provider signs; no platform credential applies (and none may be needed).
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def post(self, request: Request) -> Response:
        try:
            event = services.webhook_event_verify(
                payload=request.body, signature=request.headers.get("Stripe-Signature")
            )
        except Problem as refusal:
            webhook_counted("not_an_event" if "not an event" in str(refusal) else "bad_signature")
            raise
        result = handlers.webhook_event_handle(event)
        webhook_counted(result)
        return Response({"received": True, "result": result})
