from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from careforall_common import signing
from careforall_common.testing.peers import point_at


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

    def pledges(self, path: str) -> dict[str, Any]:
        """``GET /internal/pledges?campaign_id=&limit=1``: whether the campaign has pledges."""
        campaign_id = int(parse_qs(urlsplit(path).query)["campaign_id"][0])
        results = [{"campaign_id": campaign_id}] if campaign_id in self.with_pledges else []
        return {"results": results, "next_after": None}


@pytest.fixture
def pledge_holds(settings: Any) -> Iterator[PledgeHoldsStandIn]:
    stand_in = PledgeHoldsStandIn()
    secret = settings.CAREFORALL["INTERNAL_EVENT_SECRET"]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            signed = signing.verify(self.headers.get(signing.HEADER), raw, secret=secret)
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
            self.respond(status, payload)

        def do_GET(self) -> None:
            signed = signing.verify(
                self.headers.get(signing.HEADER), self.path.encode(), secret=secret
            )
            payload = json.dumps(stand_in.pledges(self.path)).encode()
            self.respond(stand_in.answer or (200 if signed else 403), payload)

        def respond(self, status: int, payload: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    # careforall_common.testing.peers serves GET routes only; holds and donors are POSTs.
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    point_at(settings, "pledge", f"http://127.0.0.1:{server.server_port}")
    try:
        yield stand_in
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
