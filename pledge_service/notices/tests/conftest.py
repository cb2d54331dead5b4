from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from pledges.tests.conftest import (  # noqa: F401  (fixtures of the pledge suite)
    _no_campaign_service,
    _outbox_wake_ups_to_a_test_queue,
    active_campaign,
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Sink:
    """A real SMTP server on a free port that keeps every message it accepts."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.controller: Controller | None = None
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(message)
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_sink(settings: Any) -> Iterator[Sink]:
    sink = Sink()
    sink.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield sink
    sink.stop()


class FakeCampaigns:
    """campaign_service's public ``GET /api/campaigns/{id}``: titles by id, or a chosen error."""

    def __init__(self) -> None:
        self.titles: dict[int, str] = {}
        self.failing = False
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                campaign_id = self.path.rsplit("/", 1)[-1]
                title = fake.titles.get(int(campaign_id)) if campaign_id.isdigit() else None
                status = 503 if fake.failing else 200 if title is not None else 404
                body = json.dumps({"id": int(campaign_id), "title": title}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def campaigns(settings: Any) -> Iterator[FakeCampaigns]:
    fake = FakeCampaigns()
    fake.titles[7] = "Flood relief in Sylhet"
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    settings.CAREFORALL = {
        **settings.CAREFORALL,
        "SERVICE_URLS": {**settings.CAREFORALL["SERVICE_URLS"], "campaign": fake.url},
    }
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
