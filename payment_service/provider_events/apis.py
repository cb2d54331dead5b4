from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careforall_common.problems import Problem, exception_handler
from provider_events import handlers, services
from provider_events.metrics import webhook_counted

ALLOW = "POST, OPTIONS"  # what DRF answers in Allow for this view


# A POST that DRF would answer in JSON (no ``?format=``, an ``Accept`` that admits JSON) is
# answered without DRF's request, negotiation and renderer, byte for byte as DRF answers it:
# the provider sends many per payment. Every other request goes through DRF as before. (Not in
# the docstring: that is the public schema's description.)
class PaymentWebhookApi(APIView):
    """The provider's webhook: Stripe-signed events, verified on the raw body (SPEC §3)."""

    # The provider signs; no platform credential applies (and none may be needed).
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if (
            request.method != "POST"
            or request.META.get("QUERY_STRING")
            or not accepts_json(request.META.get("HTTP_ACCEPT"))
        ):
            return super().dispatch(request, *args, **kwargs)
        try:
            result = webhook_receive(request.body, request.META.get("HTTP_STRIPE_SIGNATURE"))
        except Exception as error:  # answered as DRF's handler answers it
            return problem_rendered(error, request)
        # DRF's JSONRenderer output; a result is one of a few plain words (ProviderEventResult).
        response = HttpResponse(
            b'{"received":true,"result":"%s"}' % result.encode(), content_type="application/json"
        )
        response["Allow"] = ALLOW
        return response

    def post(self, request: Request) -> Response:
        result = webhook_receive(request.body, request.headers.get("Stripe-Signature"))
        return Response({"received": True, "result": result})


def webhook_receive(payload: bytes, signature: str | None) -> str:
    """Verify, store and act on one delivery; count its outcome; return the result."""
    try:
        event = services.webhook_event_verify(payload=payload, signature=signature)
    except Problem as refusal:
        webhook_counted("not_an_event" if "not an event" in str(refusal) else "bad_signature")
        raise
    result = handlers.webhook_event_handle(event)
    webhook_counted(result)
    return result


def accepts_json(accept: str | None) -> bool:
    """Whether DRF's negotiation would pick its JSON renderer for ``accept``: some media type
    in it is */*, application/* or application/json (parameters and q are not weighed). A
    header with quotes is left to DRF."""
    if accept is None:
        return True  # DRF reads a missing header as */*
    if '"' in accept:
        return False
    for media_type in accept.split(","):
        main, _, sub = media_type.split(";", 1)[0].strip().lower().partition("/")
        if main in ("*", "application") and sub in ("*", "json"):
            return True
    return False


def problem_rendered(error: Exception, request: HttpRequest) -> HttpResponse:
    """``error`` answered as DRF answers it: the shared handler's problem, rendered by DRF's
    JSON renderer, with the view's Allow."""
    found = exception_handler(error, {"request": request, "view": None})
    if found is None:  # the shared handler answers every error
        raise error
    response = HttpResponse(
        JSONRenderer().render(found.data), status=found.status_code, content_type=found.content_type
    )
    for name, value in found.items():
        if name != "Content-Type":
            response[name] = value
    response["Allow"] = ALLOW
    return response
