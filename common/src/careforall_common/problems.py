"""RFC 9457 problem details for every error a service answers (SPEC §2)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/problem+json"


class Problem(exceptions.APIException):
    """An error answered as problem details, with optional extra members (e.g. ``payment_id``)."""

    def __init__(self, status: int, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status_code = status
        self.extra = extra


def problem_body(
    status: int, detail: str, errors: list[dict[str, str]] | None = None, **extra: Any
) -> dict[str, Any]:
    """Return the problem document for ``status``."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    return body


def problem_response(status: int, detail: str, **extra: Any) -> HttpResponse:
    """Return a plain Django response carrying problem details (for non-DRF views)."""
    return HttpResponse(
        json.dumps(problem_body(status, detail, **extra)), status=status, content_type=CONTENT_TYPE
    )


def flatten_errors(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """Turn DRF's nested validation detail into ``[{"field", "message"}]``."""
    if isinstance(detail, Mapping):
        errors = []
        for key, value in detail.items():
            name = "body" if key in ("non_field_errors", "detail") else str(key)
            errors += flatten_errors(value, f"{prefix}.{name}" if prefix else name)
        return errors
    if isinstance(detail, list):
        if all(not isinstance(item, (Mapping, list)) for item in detail):
            return [{"field": prefix or "body", "message": str(item)} for item in detail]
        errors = []
        for index, item in enumerate(detail):
            errors += flatten_errors(item, f"{prefix}[{index}]")
        return errors
    return [{"field": prefix or "body", "message": str(detail)}]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler answering every error as problem details."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, SuspiciousOperation):  # e.g. a Host header outside ALLOWED_HOSTS
        exc = exceptions.ParseError("The request is malformed.")
    elif isinstance(exc, exceptions.ParseError):
        # Malformed JSON is an invalid body: 400 with an ``errors`` list (SPEC §2).
        exc = exceptions.ValidationError({"body": [str(exc.detail)]})
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.error("unhandled error", exc_info=exc)
        body = problem_body(500, "The server could not complete the request.")
        return Response(body, status=500, content_type=CONTENT_TYPE)
    if isinstance(exc, exceptions.ValidationError):
        body = problem_body(
            response.status_code, "The request body is invalid.", flatten_errors(exc.detail)
        )
    elif isinstance(exc, Problem):
        body = problem_body(response.status_code, str(exc.detail), **exc.extra)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        if isinstance(detail, Mapping):  # simplejwt's {"detail", "code", "messages"}
            detail = detail.get("detail", HTTPStatus(response.status_code).phrase)
        body = problem_body(response.status_code, str(detail))
    response.data = body
    response.content_type = CONTENT_TYPE
    return response


class ProblemDetailsMiddleware:
    """Turn any other error page (Django's 404/500, CSRF, debug pages) into problem details.

    The admin keeps its HTML pages; everything else answers JSON, in DEBUG too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or request.path.startswith("/admin/"):
            return response
        if response.get("Content-Type", "").startswith(
            ("application/problem+json", "application/json")
        ):
            return response
        status = response.status_code
        converted = problem_response(status, _DETAILS.get(status, HTTPStatus(status).phrase))
        for header in ("Allow", "WWW-Authenticate", "Retry-After"):
            if header in response:
                converted[header] = response[header]
        return converted


_DETAILS = {
    400: "The request is malformed.",
    403: "The request is not allowed.",
    404: "No resource at this path.",
    405: "The method is not allowed on this resource.",
    500: "The server could not complete the request.",
}
