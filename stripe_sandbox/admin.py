"""`/_sandbox/*`: health, chaos config, reset, events with their deliveries, stats, flush.

Development only: no API key, and the sandbox listens on loopback unless told otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from .api import Request, Response, json_bytes
from .settings import ConfigError

if TYPE_CHECKING:
    from .server import Sandbox


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
        }

    def handle(self, request: Request) -> Response:
        route = f"{request.method} {request.path}"
        handler = self._routes.get((request.method, request.path.rstrip("/") or "/"))
        try:
            if handler is None:
                raise AdminError(
                    404, f"Unrecognized sandbox URL ({request.method}: {request.path})"
                )
            return Response(200, json_bytes(handler(request)), route)
        except AdminError as error:
            return Response(error.status, json_bytes({"error": error.error}), route)

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


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise AdminError(400, "The body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise AdminError(400, "The body must be a JSON object.")
    return value


def _int(raw: str, name: str) -> int:
    if not raw.isdigit():
        raise AdminError(400, f"{name} must be a non-negative integer", name)
    return int(raw)
