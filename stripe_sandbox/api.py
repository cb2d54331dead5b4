"""The `/v1` API: authentication, routing, idempotency, Stripe's JSON and headers."""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from .customers import (
    customer_create,
    customer_delete,
    customer_get,
    customer_list,
    customer_update,
    method_attach,
    method_detach,
    method_list,
    method_update,
)
from .disputes import dispute_accept, dispute_get, dispute_list
from .errors import (
    ApiError,
    invalid_api_key,
    invalid_request,
    no_api_key,
    resource_missing,
    unrecognized_url,
)
from .forms import parse_form
from .idempotency import IdempotencyStore, Saved
from .intent_list import intent_list
from .objects import new_id
from .payments import Payments, RequestRef
from .refunds import refund_create, refund_list
from .settings import Chaos, Settings
from .setup_intents import setup_cancel, setup_confirm, setup_create, setup_get, setup_list
from .webhooks import Webhooks

MAX_BODY = 1024 * 1024


@dataclass(slots=True)
class Request:
    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes


@dataclass(slots=True)
class Response:
    status: int
    body: bytes
    route: str
    headers: dict[str, str] = field(default_factory=dict)
    request_id: str | None = None
    idempotency_key: str | None = None
    replayed: bool = False
    content_type: str = "application/json"


def json_bytes(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


Handler = Callable[[str, dict[str, Any], RequestRef], dict[str, Any]]
# What a publishable key may do (Stripe.js in a donor's browser): confirm an intent (payment or
# setup) and read it, each with the intent's client secret. Everything else needs the secret key.
PUBLISHABLE_ROUTES = frozenset(
    {
        "GET /v1/payment_intents/{id}",
        "POST /v1/payment_intents/{id}/confirm",
        "GET /v1/setup_intents/{id}",
        "POST /v1/setup_intents/{id}/confirm",
    }
)


class StripeApi:
    def __init__(
        self,
        *,
        settings: Settings,
        payments: Payments,
        webhooks: Webhooks,
        idempotency: IdempotencyStore,
        chaos: Callable[[], Chaos],
    ) -> None:
        self._settings = settings
        self._chaos = chaos
        self._idempotency = idempotency
        self._webhooks = webhooks
        self._routes = _routes(payments, self._event_get)

    def handle(self, request: Request) -> Response:
        request_id = new_id("req_", 14)
        key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
        found = self._route(request.method, request.path)
        route = found[0] if found else f"{request.method} (unrecognized)"
        try:
            api_key = self._authenticate(request.headers)
            if found is None:
                raise unrecognized_url(request.method, request.path)
            route, handler, object_id = found
            publishable = api_key.startswith("pk_")
            if publishable and route not in PUBLISHABLE_ROUTES:
                raise invalid_request(
                    "This API call cannot be made with a publishable API key. Please use a "
                    "secret API key.",
                    status=401,
                )
            if len(request.body) > MAX_BODY:
                raise ApiError(
                    413, {"message": "Request too large.", "type": "invalid_request_error"}
                )
            raw = _text(request.body) if request.method == "POST" else request.query
            params = parse_form(raw)
            ref = RequestRef(request_id, key, publishable)
            delay_ms = self._chaos().processing_delay_ms if request.method == "POST" else 0
            handler = _delayed(handler, delay_ms)
            if key:
                response = self._idempotent((api_key, key), route, handler, object_id, params, ref)
            else:
                response = _ok(handler(object_id, params, ref))
        except ApiError as error:
            response = Response(error.status, json_bytes(error.body()), route, dict(error.headers))
        response.route = route
        response.request_id = request_id
        response.idempotency_key = key
        headers = response.headers
        headers.setdefault("Request-Id", request_id)
        headers["Stripe-Version"] = (
            request.headers.get("Stripe-Version") or self._settings.api_version
        )
        if key:
            headers["Idempotency-Key"] = key
        if response.status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="Stripe"'
        return response

    def _authenticate(self, headers: Mapping[str, str]) -> str:
        scheme, _, value = (headers.get("Authorization") or "").strip().partition(" ")
        key = ""
        if scheme.lower() == "bearer":
            key = value.strip()
        elif scheme.lower() == "basic":  # curl -u sk_test_...:
            try:
                key = base64.b64decode(value.strip(), validate=True).decode().partition(":")[0]
            except (binascii.Error, UnicodeDecodeError):
                key = ""
        if not key:
            raise no_api_key()
        publishable = key.startswith("pk_")
        expected = self._settings.publishable_key if publishable else self._settings.api_key
        prefix = "pk_test_" if publishable else "sk_test_"
        if (expected is not None and key != expected) or (
            expected is None and not key.startswith(prefix)
        ):
            raise invalid_api_key(key)
        return key

    def _route(self, method: str, path: str) -> tuple[str, Handler, str] | None:
        for route in self._routes:
            match = route.pattern.fullmatch(path)
            if match and route.method == method:
                object_id = unquote(match.group(1)) if match.groups() else ""
                return route.name, route.handler, object_id
        return None

    def _idempotent(
        self,
        scope: tuple[str, str],
        route: str,
        handler: Handler,
        object_id: str,
        params: dict[str, Any],
        ref: RequestRef,
    ) -> Response:
        claim = self._idempotency.claim(scope, route.replace("{id}", object_id), params)
        if isinstance(claim, Saved):
            return Response(
                claim.status,
                claim.body,
                route,
                {"Idempotent-Replayed": "true", "Original-Request": claim.request_id},
                replayed=True,
            )
        saved: Saved | None = None
        try:
            response = _ok(handler(object_id, params, ref))
            saved = Saved(response.status, response.body, ref.id)
        except ApiError as error:
            response = Response(error.status, json_bytes(error.body()), route, dict(error.headers))
            if error.executed:
                saved = Saved(error.status, response.body, ref.id)
        finally:
            self._idempotency.finish(scope, claim, saved)
        response.headers["Original-Request"] = ref.id
        return response

    def _event_get(self, event_id: str) -> dict[str, Any]:
        event = self._webhooks.event_get(event_id)
        if event is None:
            raise resource_missing("event", event_id, param="id")
        return event


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid_request("The request body is not valid UTF-8.") from None


def _delayed(handler: Handler, delay_ms: int) -> Handler:
    """`handler`, started `delay_ms` late: a provider slow to act (chaos `processing_delay_ms`)."""
    if not delay_ms:
        return handler

    def slow(object_id: str, params: dict[str, Any], ref: RequestRef) -> dict[str, Any]:
        time.sleep(delay_ms / 1000)
        return handler(object_id, params, ref)

    return slow


def _ok(body: dict[str, Any]) -> Response:
    return Response(200, json_bytes(body), "")


@dataclass(frozen=True, slots=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    name: str
    handler: Handler


def _routes(p: Payments, event_get: Callable[[str], dict[str, Any]]) -> list[_Route]:
    table: list[tuple[str, str, Handler]] = [
        ("POST", "/v1/payment_intents", lambda _, d, r: p.intent_create(d, r)),
        ("GET", "/v1/payment_intents", lambda _i, d, _r: intent_list(p, d)),
        ("GET", "/v1/payment_intents/{id}", p.intent_get),
        ("POST", "/v1/payment_intents/{id}/confirm", p.intent_confirm),
        ("POST", "/v1/payment_intents/{id}/capture", p.intent_capture),
        ("POST", "/v1/payment_intents/{id}/cancel", p.intent_cancel),
        ("POST", "/v1/refunds", lambda _, d, r: refund_create(p, d, r)),
        ("GET", "/v1/refunds", lambda _i, d, _r: refund_list(p, d)),
        ("GET", "/v1/refunds/{id}", lambda i, d, _: p.object_get("refund", i, d)),
        ("GET", "/v1/disputes", lambda _i, d, _r: dispute_list(p, d)),
        ("GET", "/v1/disputes/{id}", lambda i, d, _: dispute_get(p, i, d)),
        ("POST", "/v1/disputes/{id}/close", lambda i, d, r: dispute_accept(p, i, d, r)),
        ("GET", "/v1/charges/{id}", lambda i, d, _: p.object_get("charge", i, d)),
        ("GET", "/v1/payment_methods/{id}", lambda i, d, _: p.object_get("PaymentMethod", i, d)),
        ("GET", "/v1/payment_methods", lambda _i, d, _r: method_list(p, None, d)),
        ("POST", "/v1/payment_methods/{id}", lambda i, d, r: method_update(p, i, d, r)),
        ("POST", "/v1/payment_methods/{id}/attach", lambda i, d, r: method_attach(p, i, d, r)),
        ("POST", "/v1/payment_methods/{id}/detach", lambda i, d, r: method_detach(p, i, d, r)),
        ("POST", "/v1/customers", lambda _, d, r: customer_create(p, d, r)),
        ("GET", "/v1/customers", lambda _i, d, _r: customer_list(p, d)),
        ("GET", "/v1/customers/{id}", lambda i, d, _: customer_get(p, i, d)),
        ("POST", "/v1/customers/{id}", lambda i, d, r: customer_update(p, i, d, r)),
        ("DELETE", "/v1/customers/{id}", lambda i, d, r: customer_delete(p, i, d, r)),
        ("GET", "/v1/customers/{id}/payment_methods", lambda i, d, _: method_list(p, i, d)),
        ("POST", "/v1/setup_intents", lambda _, d, r: setup_create(p, d, r)),
        ("GET", "/v1/setup_intents", lambda _i, d, _r: setup_list(p, d)),
        ("GET", "/v1/setup_intents/{id}", lambda i, d, r: setup_get(p, i, d, r)),
        ("POST", "/v1/setup_intents/{id}/confirm", lambda i, d, r: setup_confirm(p, i, d, r)),
        ("POST", "/v1/setup_intents/{id}/cancel", lambda i, d, r: setup_cancel(p, i, d, r)),
        ("GET", "/v1/events/{id}", lambda i, _d, _r: event_get(i)),
    ]
    return [
        _Route(method, re.compile(template.replace("{id}", "([^/]+)")), f"{method} {template}", fn)
        for method, template, fn in table
    ]
