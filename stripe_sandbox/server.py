"""The HTTP server (stdlib, one thread per connection, keep-alive) and the Sandbox that owns it."""

from __future__ import annotations

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .admin import Admin
from .api import Request, Response, StripeApi, json_bytes
from .browser import BROWSER_PREFIXES, Browser
from .clock import Clock
from .idempotency import IdempotencyStore
from .jsonlog import JsonLog
from .payments import Payments
from .settings import Chaos, Settings
from .turnstile import PREFIX as TURNSTILE_PREFIX
from .turnstile import Turnstile
from .webhooks import Webhooks

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    404: "Not Found",
    403: "Forbidden",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    500: "Internal Server Error",
}


class Sandbox:
    """One sandbox: its state, its webhook sender and its HTTP server.

    `start()` serves in a background thread (tests); `serve_forever()` blocks (`__main__`).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.log = JsonLog(enabled=settings.log_requests)
        self.chaos: Chaos = settings.chaos
        self._lock = threading.Lock()
        self._requests: Counter[tuple[str, int]] = Counter()
        self._started_at = time.monotonic()
        self.clock = Clock()
        self.webhooks = Webhooks(
            secret=settings.webhook_secret,
            api_version=settings.api_version,
            timeout_s=settings.webhook_timeout_ms / 1000,
            concurrency=settings.webhook_concurrency,
            retention=settings.event_retention,
            chaos=lambda: self.chaos,
            log=self.log,
            clock=self.clock,
        )
        self.payments = Payments(self.webhooks.publish, clock=self.clock, chaos=lambda: self.chaos)
        self.idempotency = IdempotencyStore(
            ttl_s=settings.idempotency_ttl_s,
            max_keys=settings.idempotency_max_keys,
            clock=self.clock,
        )
        self.api = StripeApi(
            settings=settings,
            payments=self.payments,
            webhooks=self.webhooks,
            idempotency=self.idempotency,
            chaos=lambda: self.chaos,
        )
        self.admin = Admin(self)
        self.browser = Browser(self.payments)
        self.turnstile = Turnstile(clock=self.clock, secret_key=settings.turnstile_secret_key)
        self._server = _Server((settings.host, settings.port), _Handler)
        self._server.sandbox = self
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> str:
        self.webhooks.start()
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="sandbox-http", daemon=True
        )
        self._thread.start()
        return self.url

    def serve_forever(self) -> None:
        self.webhooks.start()
        try:
            self._server.serve_forever()
        finally:
            self.webhooks.stop()
            self._server.server_close()

    def shutdown(self) -> None:
        """Stop serving; safe to call from another thread (a signal handler must not block)."""
        self._server.shutdown()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.webhooks.stop()

    def configure(self, changes: dict[str, Any]) -> Chaos:
        with self._lock:
            self.chaos = self.chaos.updated(changes)
            return self.chaos

    def reset(self) -> None:
        """Forget every object, event, key and count; the chaos config returns to its defaults
        and the clock to the real time."""
        with self._lock:
            self.chaos = self.settings.chaos
            self._requests.clear()
        self.webhooks.reset()
        self.payments.reset()
        self.idempotency.reset()
        self.turnstile.reset()
        self.clock.reset()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            by_route: dict[str, dict[str, int]] = {}
            for (route, status), count in sorted(self._requests.items()):
                by_route.setdefault(route, {})[str(status)] = count
            total = sum(self._requests.values())
        return {
            "uptime_s": round(time.monotonic() - self._started_at, 1),
            "requests": {"total": total, "by_route": by_route},
            "idempotency": {"keys": len(self.idempotency), "replays": self.idempotency.replays},
            "clock": self.clock.as_json(),
            "objects": self.payments.counts(),
            "webhooks": self.webhooks.stats(),
            "turnstile": self.turnstile.stats(),
        }

    def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        if request.path.startswith("/_sandbox/"):
            response = self.admin.handle(request)
        elif request.path.startswith(BROWSER_PREFIXES):
            response = self.browser.handle(request)
        elif request.path.startswith(TURNSTILE_PREFIX):
            response = self.turnstile.handle(request)
        else:
            response = self.api.handle(request)
            if request.method == "POST" and self.chaos.response_delay_ms:
                time.sleep(self.chaos.response_delay_ms / 1000)
        with self._lock:
            self._requests[(response.route, response.status)] += 1
        self.log(
            "request",
            method=request.method,
            path=request.path,
            status=response.status,
            ms=round((time.perf_counter() - started) * 1000, 3),
            request_id=response.request_id,
            idempotency_key=response.idempotency_key,
            replayed=response.replayed,
        )
        return response


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # the default 5 drops connections in a burst
    sandbox: Sandbox


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "stripe-sandbox"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = 300  # idle keep-alive connections close after this
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default access log: Sandbox.handle writes a JSON line instead."""

    def _serve(self) -> None:
        length = self.headers.get("Content-Length") or "0"
        if not length.isdigit() or int(length) > 8 * 1024 * 1024:
            self.close_connection = True
            self._write(
                Response(
                    400,
                    json_bytes(
                        {
                            "error": {
                                "message": "Bad Content-Length",
                                "type": "invalid_request_error",
                            }
                        }
                    ),
                    "",
                )
            )
            return
        body = self.rfile.read(int(length)) if length != "0" else b""
        path, _, query = self.path.partition("?")
        request = Request(self.command, path, query, self.headers, body)  # type: ignore[arg-type]
        try:
            response = self.server.sandbox.handle(request)
        except Exception as exc:  # a sandbox bug: answer like Stripe's api_error, keep serving
            self.server.sandbox.log("error", path=path, error=f"{type(exc).__name__}: {exc}")
            error = {"message": "An unknown error occurred", "type": "api_error"}
            response = Response(500, json_bytes({"error": error}), "")
        self._write(response)

    def _write(self, response: Response) -> None:
        lines = [
            f"HTTP/1.1 {response.status} {_REASONS.get(response.status, 'Error')}",
            "Server: stripe-sandbox",
            f"Content-Type: {response.content_type}",
            f"Content-Length: {len(response.body)}",
            *(f"{name}: {value}" for name, value in response.headers.items()),
        ]
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head + response.body)  # one write: no Nagle/delayed-ACK stall
