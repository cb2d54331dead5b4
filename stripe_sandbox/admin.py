"""`/_sandbox/*`: health, chaos config, reset, events with their deliveries, stats, flush, the
cardholder's bank opening and closing disputes, the bank settling refunds, and the clock.

Development only: no API key, and the sandbox listens on loopback unless told otherwise.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from . import params as allowed
from .api import Request, Response, json_bytes
from .clock import MAX_ADVANCE_S
from .disputes import OUTCOMES, dispute_close, dispute_open
from .errors import ApiError
from .refunds import FAILURE_REASONS, SETTLED, refund_settle
from .settings import ConfigError

if TYPE_CHECKING:
    from .server import Sandbox

_DISPUTE_CLOSE = re.compile(r"/_sandbox/disputes/([^/]+)/close")
_REFUND_SETTLE = re.compile(r"/_sandbox/refunds/([^/]+)/settle")


class AdminError(Exception):
    def __init__(self, status: int, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error: dict[str, Any] = {"message": message, "type": "invalid_request_error"}
        if param is not None:
            self.error["param"] = param


class Admin:
    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox
        self._routes: dict[tuple[str, str], Callable[[Request], Any]] = {
            ("GET", "/_sandbox/health"): lambda _: {"status": "ok"},
            ("GET", "/_sandbox/config"): lambda _: sandbox.chaos.as_json(),
            ("POST", "/_sandbox/config"): self._config_update,
            ("POST", "/_sandbox/reset"): self._reset,
            ("GET", "/_sandbox/events"): self._events,
            ("GET", "/_sandbox/stats"): lambda _: sandbox.stats(),
            ("POST", "/_sandbox/flush"): self._flush,
            ("POST", "/_sandbox/disputes"): self._dispute_open,
            ("GET", "/_sandbox/clock"): lambda _: sandbox.clock.as_json(),
            ("POST", "/_sandbox/clock/advance"): self._clock_advance,
        }

    def handle(self, request: Request) -> Response:
        route = f"{request.method} {request.path}"
        path = request.path.rstrip("/") or "/"
        handler = self._routes.get((request.method, path))
        close = _DISPUTE_CLOSE.fullmatch(path) if request.method == "POST" else None
        if close is not None:
            route = "POST /_sandbox/disputes/{id}/close"
            handler = functools.partial(self._dispute_close, close.group(1))
        settle = _REFUND_SETTLE.fullmatch(path) if request.method == "POST" else None
        if settle is not None:
            route = "POST /_sandbox/refunds/{id}/settle"
            handler = functools.partial(self._refund_settle, settle.group(1))
        try:
            if handler is None:
                raise AdminError(
                    404, f"Unrecognized sandbox URL ({request.method}: {request.path})"
                )
            return Response(200, json_bytes(handler(request)), route)
        except AdminError as error:
            return Response(error.status, json_bytes({"error": error.error}), route)
        except ApiError as error:  # the dispute and refund rules answer like the API
            return Response(error.status, json_bytes(error.body()), route)

    def _config_update(self, request: Request) -> dict[str, Any]:
        changes = _json_object(request.body)
        try:
            return self._sandbox.configure(changes).as_json()
        except ConfigError as error:
            raise AdminError(400, error.message, error.param) from None

    def _reset(self, _: Request) -> dict[str, Any]:
        self._sandbox.reset()
        return {"status": "reset", "config": self._sandbox.chaos.as_json()}

    def _events(self, request: Request) -> dict[str, Any]:
        query = {k: v[-1] for k, v in parse_qs(request.query).items()}
        limit = _int(query.get("limit", "1000"), "limit")
        data = self._sandbox.webhooks.events_list(
            event_type=query.get("type"),
            object_id=query.get("object_id"),
            limit=max(limit, 1),
            payload=query.get("payload") in ("1", "true"),
        )
        return {"object": "list", "data": data}

    def _flush(self, request: Request) -> dict[str, Any]:
        query = {k: v[-1] for k, v in parse_qs(request.query).items()}
        wait_ms = _int(query.get("wait_ms", "0"), "wait_ms")
        return self._sandbox.webhooks.flush(min(wait_ms, 60_000) / 1000)

    def _dispute_open(self, request: Request) -> dict[str, Any]:
        body = _json_object(request.body, frozenset({"payment_intent", "amount", "reason"}))
        intent_id = body.get("payment_intent")
        if not isinstance(intent_id, str) or not intent_id:
            raise AdminError(400, "payment_intent must be a PaymentIntent id", "payment_intent")
        amount = body.get("amount")
        if amount is not None and (type(amount) is not int or amount < 1):
            raise AdminError(400, "amount must be a positive integer", "amount")
        reason = body.get("reason", "fraudulent")
        if reason not in allowed.DISPUTE_REASONS:
            choices = ", ".join(allowed.DISPUTE_REASONS)
            raise AdminError(400, f"reason must be one of {choices}", "reason")
        return dispute_open(
            self._sandbox.payments, intent_id=intent_id, amount=amount, reason=reason
        )

    def _dispute_close(self, dispute_id: str, request: Request) -> dict[str, Any]:
        body = _json_object(request.body, frozenset({"outcome"}))
        outcome = body.get("outcome")
        if outcome not in OUTCOMES:
            raise AdminError(400, "outcome must be won or lost", "outcome")
        return dispute_close(self._sandbox.payments, dispute_id, outcome=outcome)

    def _refund_settle(self, refund_id: str, request: Request) -> dict[str, Any]:
        body = _json_object(request.body, frozenset({"status", "failure_reason"}))
        status = body.get("status")
        if status not in SETTLED:
            raise AdminError(400, "status must be succeeded or failed", "status")
        reason = body.get("failure_reason")
        if reason is not None and (status != "failed" or reason not in FAILURE_REASONS):
            choices = ", ".join(FAILURE_REASONS)
            raise AdminError(
                400, f"failure_reason goes with status failed, one of {choices}", "failure_reason"
            )
        return refund_settle(
            self._sandbox.payments, refund_id, status=status, failure_reason=reason
        )

    def _clock_advance(self, request: Request) -> dict[str, Any]:
        body = _json_object(request.body, frozenset({"seconds"}))
        seconds = body.get("seconds")
        if type(seconds) is not int or not 1 <= seconds <= MAX_ADVANCE_S:
            raise AdminError(
                400, f"seconds must be an integer from 1 to {MAX_ADVANCE_S}", "seconds"
            )
        self._sandbox.clock.advance(seconds)
        return self._sandbox.clock.as_json()


def _json_object(body: bytes, fields: frozenset[str] | None = None) -> dict[str, Any]:
    try:
        value = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise AdminError(400, "The body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise AdminError(400, "The body must be a JSON object.")
    for name in value:
        if fields is not None and name not in fields:
            raise AdminError(400, f"Unknown field: {name}", name)
    return value


def _int(raw: str, name: str) -> int:
    if not raw.isdigit():
        raise AdminError(400, f"{name} must be a non-negative integer", name)
    return int(raw)
