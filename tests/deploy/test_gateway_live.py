"""The gateway as it runs: the template rendered as scripts/up renders it, under scripts/up's
top-level nginx.conf, served by the nginx installed here on a spare port, in front of a stand-in
upstream that records what reaches it (issue 20, findings 3 and 9).

Every request of these tests comes from 127.0.0.1; that address plays the load balancer (a
trusted proxy) or a client reaching the gateway directly, as each test says.
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from .conftest import ROOT
from .test_gateway_config import nginx, render_module

TOKEN = "/api/auth/token"
BURST = 2  # each address: one request at the rate, BURST more at once, then 429
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


class Upstream(ThreadingHTTPServer):
    """Answers every request 200 and keeps the headers of each (every service stands here)."""

    daemon_threads = True

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, str]]] = []

        class Handler(BaseHTTPRequestHandler):
            def answer(handler) -> None:
                length = int(handler.headers.get("Content-Length") or 0)
                handler.rfile.read(length)
                headers = {k.lower(): v for k, v in handler.headers.items()}
                self.seen.append((handler.path, headers))
                body = b"{}"
                handler.send_response(200)
                handler.send_header("Content-Type", "application/json")
                handler.send_header("Content-Length", str(len(body)))
                handler.end_headers()
                handler.wfile.write(body)

            do_GET = do_POST = answer

            def log_message(handler, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    def last(self, path: str) -> dict[str, str]:
        return next(headers for seen, headers in reversed(self.seen) if seen == path)


def spare_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Gateway:
    def __init__(self, url: str, upstream: Upstream) -> None:
        self.url = url
        self.upstream = upstream

    def sign_in(self, **headers: str) -> int:
        response = requests.post(
            self.url + TOKEN, json={"email": "a@example.org", "password": "x"}, headers=headers,
            timeout=5,
        )  # fmt: skip
        return response.status_code


def start(tmp_path: Path, trusted_proxies: str) -> Iterator[Gateway]:
    upstream = Upstream()
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    render = render_module()
    port = spare_port()
    local = f"127.0.0.1:{upstream.server_address[1]}"
    var = tmp_path / "var"
    for directory in ("log", "run", "nginx/body", "nginx/proxy", "nginx/fastcgi", "nginx/uwsgi",
                      "nginx/scgi"):  # fmt: skip
        (var / directory).mkdir(parents=True)
    values = {
        **render.DEFAULTS,
        **{name: local for name in render.DEFAULTS if name.endswith("_UPSTREAM")},
        "CFA_LISTEN": f"127.0.0.1:{port}",
        "CFA_STATUS_LISTEN": f"unix:{var}/run/nginx-status.sock",
        "CFA_TOKEN_RATE": "1r/m",
        "CFA_TOKEN_BURST": str(BURST),
        "CFA_TRUSTED_PROXIES": trusted_proxies,
        "CFA_VAR": str(var),
        "CFA_ACCESS_LOG": str(var / "log" / "gateway-access.log"),
        "CFA_STATIC_ROOT": str(tmp_path),
        "CFA_FRONTEND_ROOT": str(tmp_path),
    }
    for template, target in (("careforall.conf.template", "careforall.conf"),
                             ("nginx.conf.template", "nginx.conf")):  # fmt: skip
        text = (ROOT / "nginx" / template).read_text()
        (var / "nginx" / target).write_text(render.render(text, values))
    process = subprocess.Popen(
        [nginx(), "-p", str(var), "-e", str(var / "log" / "nginx-error.log"),
         "-c", str(var / "nginx" / "nginx.conf")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/api/health/user", timeout=1)
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.communicate()[0]
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.05)
        yield Gateway(f"http://127.0.0.1:{port}", upstream)
    finally:
        process.terminate()
        process.wait(timeout=10)
        upstream.shutdown()
        upstream.server_close()


@pytest.fixture
def behind_a_proxy(tmp_path: Path) -> Iterator[Gateway]:
    """The gateway behind a load balancer at 127.0.0.1, the production overlay's case."""
    yield from start(tmp_path, "127.0.0.1")


@pytest.fixture
def reached_directly(tmp_path: Path) -> Iterator[Gateway]:
    """No proxy is trusted (the default): a client's own X-Forwarded-For counts for nothing."""
    yield from start(tmp_path, "")


def test_clients_behind_one_proxy_are_limited_each_on_its_own(behind_a_proxy: Gateway) -> None:
    gateway = behind_a_proxy
    first = {"X-Forwarded-For": "203.0.113.1"}
    assert [gateway.sign_in(**first) for _ in range(BURST + 1)] == [200] * (BURST + 1)
    assert gateway.sign_in(**first) == 429

    # Another client behind the same balancer still signs in.
    assert gateway.sign_in(**{"X-Forwarded-For": "203.0.113.2"}) == 200
    # The services are told the client's address, as the gateway decided it.
    assert gateway.upstream.last(TOKEN)["x-forwarded-for"] == "203.0.113.2"


def test_a_client_cannot_pick_its_address_through_the_proxy(behind_a_proxy: Gateway) -> None:
    """The balancer appends the address it saw; what the client wrote before it is not trusted."""
    gateway = behind_a_proxy
    for n in range(BURST + 1):
        assert gateway.sign_in(**{"X-Forwarded-For": f"198.51.100.{n}, 203.0.113.9"}) == 200
    assert gateway.sign_in(**{"X-Forwarded-For": "198.51.100.77, 203.0.113.9"}) == 429
    assert gateway.sign_in(**{"X-Forwarded-For": "203.0.113.9"}) == 429


def test_an_untrusted_client_cannot_dodge_the_limit_with_x_forwarded_for(
    reached_directly: Gateway,
) -> None:
    gateway = reached_directly
    for n in range(BURST + 1):
        assert gateway.sign_in(**{"X-Forwarded-For": f"203.0.113.{n}"}) == 200
    assert gateway.sign_in(**{"X-Forwarded-For": "203.0.113.200"}) == 429
    assert gateway.sign_in() == 429
    # Nor does its header reach the services.
    assert gateway.upstream.last(TOKEN)["x-forwarded-for"] == "127.0.0.1"


TRACE_HEADERS = {
    "traceparent": TRACEPARENT,
    "tracestate": "vendor=opaque",
    "baggage": "user.id=42,session=secret",
}


def forwarded(gateway: Gateway, path: str, **headers: str) -> dict[str, str]:
    response = requests.get(gateway.url + path, headers={**TRACE_HEADERS, **headers}, timeout=5)
    assert response.status_code == 200, response.text
    return gateway.upstream.last(path)


@pytest.mark.parametrize("path", ["/api/pledges", "/api/campaigns/7/donations", "/flower/"])
def test_trace_headers_of_other_sites_and_clients_stop_at_the_gateway(
    reached_directly: Gateway, path: str
) -> None:
    gateway = reached_directly
    host = gateway.url.removeprefix("http://")
    for headers in [
        {},  # an API client, a script
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://elsewhere.example"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://elsewhere.example"},
        {"Origin": f"http://{host}.elsewhere.example"},
    ]:
        seen = forwarded(gateway, path, **headers)
        assert not {"traceparent", "tracestate", "baggage"} & set(seen), (headers, seen)


@pytest.mark.parametrize("path", ["/api/pledges", "/flower/"])
def test_the_donor_site_continues_its_trace_without_state_or_baggage(
    reached_directly: Gateway, path: str
) -> None:
    gateway = reached_directly
    host = gateway.url.removeprefix("http://")
    for headers in [{"Sec-Fetch-Site": "same-origin"}, {"Origin": f"http://{host}"}]:
        seen = forwarded(gateway, path, **headers)
        assert seen.get("traceparent") == TRACEPARENT, headers
        assert not {"tracestate", "baggage"} & set(seen), headers

    # A malformed traceparent is dropped, even from the site.
    seen = forwarded(
        gateway, path, **{"Sec-Fetch-Site": "same-origin", "traceparent": "00-zz-yy-01"}
    )
    assert "traceparent" not in seen


def test_the_staff_check_of_flower_gets_no_client_baggage(reached_directly: Gateway) -> None:
    gateway = reached_directly
    forwarded(gateway, "/flower/")
    staff_check = gateway.upstream.last("/internal/auth/staff")
    assert not {"traceparent", "tracestate", "baggage"} & set(staff_check)
