"""A stand-in for another service in a service's tests: its GET routes on 127.0.0.1.

A service's tests never reach a real peer; they start a ``FakePeer`` with the answers the peer's
contract gives (``careforall_common.contracts.internal``), point ``SERVICE_URLS`` at it, and read
what was asked. Signed like the real internal views when given the secret: an unsigned call is 403.

    @pytest.fixture
    def campaign_service(settings):
        with fake_peer(settings, "campaign", signed=True) as fake:
            yield fake

    campaign_service.items[7] = {"campaign_id": 7, "status": "active", ...}
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from careforall_common import signing


class FakePeer:
    """Answers ``GET …/<id>`` with ``items[id]`` (200) or 404; records every path asked.

    ``failing`` set to a status (500, 503) answers every call with it. Subclasses change the
    answers by overriding ``respond``.
    """

    def __init__(self, *, secret: str | None = None) -> None:
        self.items: dict[int, Any] = {}
        self.asked: list[str] = []
        self.failing: int | None = None
        self.secret = secret
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.asked.append(self.path)
                status, body = fake.answer(self.path, self.headers.get(signing.HEADER))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, path: str, signature: str | None) -> tuple[int, Any]:
        if self.secret is not None and not signing.verify(
            signature, path.encode(), secret=self.secret
        ):
            return 403, {"status": 403}
        if self.failing is not None:
            return self.failing, {"status": self.failing}
        return self.respond(path)

    def respond(self, path: str) -> tuple[int, Any]:
        item_id = path.split("?", 1)[0].rsplit("/", 1)[-1]
        item = self.items.get(int(item_id)) if item_id.isdigit() else None
        return (200, item) if item is not None else (404, {"status": 404})


def point_at(settings: Any, service: str, url: str) -> None:
    """Make ``service``'s calls go to ``url`` for the rest of the test."""
    settings.CAREFORALL = {
        **settings.CAREFORALL,
        "SERVICE_URLS": {**settings.CAREFORALL["SERVICE_URLS"], service: url},
    }


@contextmanager
def fake_peer(
    settings: Any, service: str, *, signed: bool = False, peer: FakePeer | None = None
) -> Iterator[FakePeer]:
    """Serve ``peer`` (a plain ``FakePeer`` by default) as ``service`` while the block runs."""
    secret = settings.CAREFORALL["INTERNAL_EVENT_SECRET"] if signed else None
    fake = peer or FakePeer(secret=secret)
    thread = threading.Thread(target=fake.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    point_at(settings, service, fake.url)
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()
