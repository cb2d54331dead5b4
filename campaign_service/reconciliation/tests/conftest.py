from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from campaigns.tests.conftest import serving_as_pledge_service
from careforall_common import signing


class Pledges:
    """pledge_service's pledges, as its signed ``GET /internal/pledges`` reads serve them."""

    def __init__(self) -> None:
        self.pledges: list[dict[str, Any]] = []

    def answer(self, path: str) -> dict[str, Any]:
        url = urlsplit(path)
        if url.path == "/internal/pledges/campaigns":
            return {"campaign_ids": sorted({p["campaign_id"] for p in self.pledges})}
        campaign_id = int(parse_qs(url.query)["campaign_id"][0])
        results = [p for p in self.pledges if p["campaign_id"] == campaign_id]
        return {"results": results, "next_after": None}  # one page is enough here


@pytest.fixture
def pledge_service(settings: Any) -> Iterator[Pledges]:
    stand_in = Pledges()
    secret = settings.CAREFORALL["INTERNAL_EVENT_SECRET"]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            signed = signing.verify(
                self.headers.get(signing.HEADER), self.path.encode(), secret=secret
            )
            data = json.dumps(stand_in.answer(self.path)).encode() if signed else b"{}"
            self.send_response(200 if signed else 403)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    with serving_as_pledge_service(settings, Handler):
        yield stand_in
