"""The request id of SPEC §2: taken from ``X-Request-Id`` when well-formed, else made here."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-Id"
META_KEY = "HTTP_X_REQUEST_ID"  # read from META: request.headers builds a dict of them all
VALID = re.compile(r"[A-Za-z0-9._-]{1,128}")

current_request_id: ContextVar[str] = ContextVar("current_request_id", default="")
# For log lines only, while no single request id is bound: the ids of a batch of events of
# several requests applied together, comma-separated (careforall_common.tracing.event_context).
current_log_request_id: ContextVar[str] = ContextVar("current_log_request_id", default="")


def request_id_from(value: str | None) -> str:
    """Return ``value`` if it is a valid request id, else a new one."""
    if value and VALID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Bind the request id for logs and events, and echo it on the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.META.get(META_KEY))
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response[HEADER] = request_id
        return response
