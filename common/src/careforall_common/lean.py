"""A lean path for the hot creates: DRF's answers, without DRF's per-request machinery.

A view keeps its DRF class (the other methods, the OpenAPI schema, and every refusal) and
answers the plain case of one method itself (``LeanPostMixin``): a JSON body, no query string,
an ``Accept`` that JSON satisfies, a token that verifies or none. Whatever is not plain raises
``NotPlain`` before anything is written, and the request goes through DRF's ``dispatch`` exactly
as before: content negotiation, authentication, parsing and the strict serializers decide every
refusal, so their problem documents stay the same field for field. Once the create has started,
errors are answered by the same exception handler and rendered as DRF's ``JSONRenderer`` does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse
from rest_framework import exceptions
from rest_framework.utils.encoders import JSONEncoder

from careforall_common.auth import PlatformJWTAuthentication, PlatformUser
from careforall_common.problems import exception_handler

JSON = "application/json"
MAX_PLAIN_BODY = 64 * 1024  # a larger body is DRF's to read (and refuse or take)
# What a client may send in Accept and still get JSON from DRF's content negotiation.
_PLAIN_ACCEPT = frozenset({"", "*/*", JSON, "application/*"})
_authentication = PlatformJWTAuthentication()
# DRF's ``JSONRenderer`` settings (compact, UTF-8, no NaN); the encoder keeps no state between
# calls, so one serves every thread.
_ENCODER = JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


class NotPlain(Exception):
    """The request needs DRF's full path (raised before anything is written)."""


def plain_json_body(request: HttpRequest) -> Any:
    """The request's JSON document, parsed as DRF's ``JSONParser`` would; ``NotPlain`` unless
    the body is ``application/json`` (UTF-8) and well-formed, without NaN or Infinity."""
    if request.content_type != JSON or request.content_params not in ({}, {"charset": "utf-8"}):
        raise NotPlain
    length = request.META.get("CONTENT_LENGTH", "")
    if not length.isdigit() or not 0 < int(length) <= MAX_PLAIN_BODY:
        raise NotPlain
    try:
        return json.loads(request.body.decode("utf-8"), parse_constant=_not_plain)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError included
        raise NotPlain from None


def _not_plain(constant: str) -> Any:
    raise NotPlain


def plain_caller(request: HttpRequest) -> PlatformUser | None:
    """The signed-in account, or None for a guest; ``NotPlain`` for anything DRF would refuse
    or negotiate (a token that does not verify, an ``Accept`` or a query it must look at)."""
    accept = request.META.get("HTTP_ACCEPT", "").strip()
    if accept not in _PLAIN_ACCEPT or request.META.get("QUERY_STRING"):
        raise NotPlain
    if "HTTP_AUTHORIZATION" not in request.META:
        return None
    try:
        authenticated = _authentication.authenticate(request)  # type: ignore[arg-type]
    except exceptions.APIException:
        raise NotPlain from None
    user = authenticated[0] if authenticated is not None else None
    return user if isinstance(user, PlatformUser) else None


def json_response(
    body: Any, *, status: int, allow: str, headers: Mapping[str, str] | None = None
) -> HttpResponse:
    """The response DRF's ``JSONRenderer`` and ``finalize_response`` would make of ``body``."""
    content = _ENCODER.encode(body)
    # As DRF's renderer: these two are valid JSON but not valid JavaScript.
    content = content.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    response = HttpResponse(content.encode(), status=status, content_type=JSON)
    for name, value in (headers or {}).items():
        response[name] = value
    response["Allow"] = allow
    return response


def error_response(
    error: Exception, *, view: Any, request: HttpRequest, allow: str
) -> HttpResponse:
    """What DRF answers for ``error`` raised by the view: the project's exception handler's
    problem document, with its headers, rendered as DRF renders it."""
    handled = exception_handler(error, {"view": view, "request": request})
    if handled is None:  # the project's handler answers every error; DRF would re-raise
        raise error
    headers = {name: value for name, value in handled.items() if name.lower() != "content-type"}
    response = json_response(handled.data, status=handled.status_code, allow=allow, headers=headers)
    response["Content-Type"] = handled.content_type or JSON
    return response


class LeanPostMixin:
    """Answer a plain POST with ``lean_post``; anything else goes through DRF's ``dispatch``.

    ``lean_post(request, *args, **kwargs)`` raises ``NotPlain`` (before writing anything) to hand
    the request to DRF; any other error is answered as DRF's exception handler answers it.
    """

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST":
            allow = ", ".join(self.allowed_methods)  # type: ignore[attr-defined]
            try:
                return self.lean_post(request, *args, allow=allow, **kwargs)  # type: ignore[attr-defined, no-any-return]
            except NotPlain:
                pass
            except Exception as error:
                return error_response(error, view=self, request=request, allow=allow)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc, no-any-return]
