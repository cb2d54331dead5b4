from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from campaigns.tests.conftest import deliver  # noqa: F401  (the signed ingestion fixture)
from careforall_common import signing


class Outboxes:
    """pledge_service's and payment_service's ``GET /internal/outbox``, signature checked."""

    def __init__(self) -> None:
        self.waiting: dict[str, dict[str, dict[str, int]] | None] = {"pledge": {}, "payment": {}}


@contextlib.contextmanager
def _serving(answer: Any, secret: str) -> Iterator[int]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            signed = signing.verify(
                self.headers.get(signing.HEADER), self.path.encode(), secret=secret
            )
            body = answer() if signed and self.path == "/internal/outbox" else None
            data = json.dumps({"destinations": body}).encode()
            self.send_response(200 if body is not None else 403 if not signed else 503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def outboxes(settings: Any) -> Iterator[Outboxes]:
    stand_in = Outboxes()
    secret = settings.CAREFORALL["INTERNAL_EVENT_SECRET"]
    with (
        _serving(lambda: stand_in.waiting["pledge"], secret) as pledge,
        _serving(lambda: stand_in.waiting["payment"], secret) as payment,
    ):
        urls = {
            **settings.CAREFORALL["SERVICE_URLS"],
            "pledge": f"http://127.0.0.1:{pledge}",
            "payment": f"http://127.0.0.1:{payment}",
        }
        settings.CAREFORALL = {**settings.CAREFORALL, "SERVICE_URLS": urls}
        yield stand_in


@pytest.fixture
def admin_client(client: Any) -> Any:
    # A local superuser stands in for the shadow user a platform sign-in makes.
    user = get_user_model().objects.create_superuser("staff@example.org", "staff@example.org")
    client.force_login(user)
    return client
