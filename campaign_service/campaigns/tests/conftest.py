from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from careforall_common import signing
from careforall_common.keys import generate_pem_pair


@pytest.fixture
def forged_staff_client(make_token: Callable[..., str]) -> Any:
    """A client whose staff token is signed with a key the platform does not know."""
    other_private, _ = generate_pem_pair()
    client = APIClient()
    token = make_token(user_id=1, role="staff", private_key=other_private)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def internal_signature(message: bytes, **options: Any) -> str:
    """Sign ``message`` as another service of the platform does."""
    return signing.sign(message, secret=settings.CAREFORALL["INTERNAL_EVENT_SECRET"], **options)


@pytest.fixture
def deliver(client: Any) -> Callable[..., list[str]]:
    """Return a function that POSTs events signed to /internal/events; returns each outcome."""

    def post(*events: dict[str, Any]) -> list[str]:
        body = json.dumps({"events": list(events)}).encode()
        response = client.post(
            "/internal/events",
            body,
            content_type="application/json",
            HTTP_X_CAREFORALL_SIGNATURE=internal_signature(body),
        )
        assert response.status_code == 200, response.content
        return [result["status"] for result in response.json()["results"]]

    return post


class PledgeHoldsStandIn:
    """pledge_service's campaign holds and donor emails over real HTTP, signature checked."""

    def __init__(self) -> None:
        self.with_pledges: set[int] = set()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.answer: int | None = None  # force a status (e.g. 500)
        # ``POST /internal/pledges/donors``: each pledge's email (default donor-<id>@example.org)
        self.emails: dict[int, str] = {}

    def donors(self, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "results": [
                {"pledge_id": i, "donor_email": self.emails.get(i, f"donor-{i}@example.org")}
                for i in sorted(body["pledge_ids"])
            ]
        }


@pytest.fixture
def pledge_holds(settings: Any) -> Iterator[PledgeHoldsStandIn]:
    stand_in = PledgeHoldsStandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            signed = signing.verify(
                self.headers.get(signing.HEADER),
                raw,
                secret=settings.CAREFORALL["INTERNAL_EVENT_SECRET"],
            )
            body = json.loads(raw)
            action = self.path.rsplit("/", 1)[-1]
            stand_in.calls.append((action, body))
            status = 403 if not signed else 200 if action == "hold" else 204
            if signed and action == "hold" and body["campaign_id"] in stand_in.with_pledges:
                status = 409
            status = stand_in.answer or status
            payload = json.dumps({"held": True}).encode() if status == 200 else b""
            if signed and action == "donors" and stand_in.answer is None:
                status, payload = 200, json.dumps(stand_in.donors(body)).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    with serving_as_pledge_service(settings, Handler):
        yield stand_in


@contextlib.contextmanager
def serving_as_pledge_service(
    settings: Any, handler: type[BaseHTTPRequestHandler]
) -> Iterator[None]:
    """Serve ``handler`` over real HTTP where the settings say pledge_service is."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    urls = {
        **settings.CAREFORALL["SERVICE_URLS"],
        "pledge": f"http://127.0.0.1:{server.server_port}",
    }
    settings.CAREFORALL = {**settings.CAREFORALL, "SERVICE_URLS": urls}
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
