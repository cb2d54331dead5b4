from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from careforall_common.testing.peers import FakePeer, fake_peer


class Outboxes:
    """pledge_service's and payment_service's outboxes; None makes that stand-in answer 503."""

    def __init__(self) -> None:
        self.waiting: dict[str, dict[str, dict[str, int]] | None] = {"pledge": {}, "payment": {}}


class OutboxStandIn(FakePeer):
    """One peer's ``GET /internal/outbox``, signature checked."""

    def __init__(self, outboxes: Outboxes, service: str, *, secret: str) -> None:
        super().__init__(secret=secret)
        self.outboxes, self.service = outboxes, service

    def respond(self, path: str) -> tuple[int, Any]:
        waiting = self.outboxes.waiting[self.service]
        if path != "/internal/outbox":
            return 404, {"detail": "No resource at this path."}
        return (503 if waiting is None else 200), {"destinations": waiting}


@pytest.fixture
def outboxes(settings: Any) -> Iterator[Outboxes]:
    stand_in = Outboxes()
    secret = settings.CAREFORALL["INTERNAL_EVENT_SECRET"]
    pledge = OutboxStandIn(stand_in, "pledge", secret=secret)
    payment = OutboxStandIn(stand_in, "payment", secret=secret)
    with fake_peer(settings, "pledge", peer=pledge), fake_peer(settings, "payment", peer=payment):
        yield stand_in
