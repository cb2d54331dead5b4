"""A stand-in for another service in a service's tests: its routes on 127.0.0.1.

A service's tests never reach a real peer; they start a ``FakePeer`` with the answers the peer's
contract gives (``careforall_common.contracts.internal``), point ``SERVICE_URLS`` at it, and read
what was asked. Signed like the real internal views: given ``verify_keys`` (a directory of
``internal-<service>.pub``) it admits only v2 signatures of ``allowed_senders`` (any service by
default) and records each caller in ``senders``; given only the secret, v1 signatures. An unsigned
call is 403.

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
from pathlib import Path
from typing import Any, TypeVar

from careforall_common import signing


class FakePeer:
    """Answers ``GET …/<id>`` with ``items[id]`` (200) or 404; records every path asked and
    every body posted (``respond_post`` answers POSTs: 405 unless a subclass says otherwise).

    ``failing`` set to a status (500, 503) answers every call with it. Subclasses change the
    answers by overriding ``respond``.
    """

    def __init__(
        self,
        *,
        secret: str | None = None,
        verify_keys: Path | None = None,
        allowed_senders: tuple[str, ...] | None = None,
    ) -> None:
        self.items: dict[int, Any] = {}
        self.asked: list[str] = []
        self.posted: list[tuple[str, bytes]] = []
        self.senders: list[str] = []
        self.failing: int | None = None
        self.secret = secret
        self.verify_keys = verify_keys
        self.allowed_senders = allowed_senders
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

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                fake.asked.append(self.path)
                fake.posted.append((self.path, body))
                status, answer = fake.answer_post(self.path, body, self.headers.get(signing.HEADER))
                data = json.dumps(answer).encode()
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

    def signed(self, signature: str | None, method: str, path: str, body: bytes) -> bool:
        """Whether the call is signed as this peer asks (always, when it asks for nothing)."""
        if self.verify_keys is not None:
            sender = signing.verify_v2(
                signature,
                method,
                path,
                body,
                keys=signing.verify_keys(self.verify_keys),
                allowed_senders=self.allowed_senders,
            )
            if sender is None:
                return False
            self.senders.append(sender)
            return True
        if self.secret is not None:
            message = path.encode() if method == "GET" else body
            return signing.verify(signature, message, secret=self.secret)
        return True

    def answer(self, path: str, signature: str | None) -> tuple[int, Any]:
        if not self.signed(signature, "GET", path, b""):
            return 403, {"status": 403}
        if self.failing is not None:
            return self.failing, {"status": self.failing}
        return self.respond(path)

    def answer_post(self, path: str, body: bytes, signature: str | None) -> tuple[int, Any]:
        if not self.signed(signature, "POST", path, body):
            return 403, {"status": 403}
        if self.failing is not None:
            return self.failing, {"status": self.failing}
        return self.respond_post(path, body)

    def respond_post(self, path: str, body: bytes) -> tuple[int, Any]:
        """A POST's answer; none by default (405): a subclass that takes POSTs says how."""
        return 405, {"status": 405}

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


P = TypeVar("P", bound=FakePeer)


@contextmanager
def peer_served(settings: Any, service: str, peer: P) -> Iterator[P]:
    """Serve ``peer`` (a ``FakePeer`` or a subclass) as ``service`` while the block runs."""
    thread = threading.Thread(target=peer.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    point_at(settings, service, peer.url)
    try:
        yield peer
    finally:
        peer.server.shutdown()
        peer.server.server_close()


@contextmanager
def fake_peer(
    settings: Any,
    service: str,
    *,
    signed: bool = False,
    peer: FakePeer | None = None,
    verify_keys: Path | None = None,
) -> Iterator[FakePeer]:
    """Serve ``peer`` (by default a plain ``FakePeer`` checking v1 signatures when ``signed``,
    v2 ones with the public keys of ``verify_keys``) as ``service``; ``peer_served`` keeps a
    subclass's type."""
    secret = settings.CAREFORALL["INTERNAL_EVENT_SECRET"] if signed else None
    fake = peer or FakePeer(secret=secret, verify_keys=verify_keys)
    with peer_served(settings, service, fake) as served:
        yield served
