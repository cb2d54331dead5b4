from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from careforall_common.testing.peers import FakePeer, fake_peer
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


@pytest.fixture
def campaigns(settings: Any) -> Iterator[FakePeer]:
    """campaign_service's public ``GET /api/campaigns/{id}``: campaign 7 and its title."""
    with fake_peer(settings, "campaign") as fake:
        fake.items[7] = {"id": 7, "title": "Flood relief in Sylhet"}
        yield fake


class PaymentLogStandIn(FakePeer):
    """payment_service's ``GET /internal/payments/{id}/transparency``: ``items[id]`` or 404."""

    def respond(self, path: str) -> tuple[int, Any]:
        parts = path.split("/")
        if len(parts) == 5 and parts[4] == "transparency" and parts[3].isdigit():
            item = self.items.get(int(parts[3]))
            return (200, item) if item is not None else (404, {"status": 404})
        return 404, {"status": 404}


@pytest.fixture(autouse=True)
def payments(settings: Any) -> Iterator[PaymentLogStandIn]:
    """Every notice test has a payment_service: no payment logged unless a test says so."""
    with fake_peer(settings, "payment", peer=PaymentLogStandIn()) as fake:
        yield fake  # type: ignore[misc]  # fake_peer is typed for FakePeer
