"""``GET /internal/outbox``: what waits in a service's outbox, signed (the staff dashboard)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.db import transaction

from careforall_common import signing
from careforall_common.outbox.models import OutboxEvent, OutboxStatus
from careforall_common.outbox.services import outbox_write

pytestmark = pytest.mark.django_db


def signed_get(client: Any, path: str, *, secret: str | None = None) -> Any:
    header = signing.sign(
        path.encode(), secret=secret or settings.CAREFORALL["INTERNAL_EVENT_SECRET"]
    )
    return client.get(path, headers={signing.HEADER: header})


def events(event_type: str, *statuses: str) -> None:
    """Write one event per status and give its rows that status."""
    for status in statuses:
        with transaction.atomic():
            event_id = outbox_write(
                event_type=event_type, aggregate_type="thing", aggregate_id=1, payload={}
            )
        OutboxEvent.objects.filter(event_id=event_id).update(status=status)


def test_pending_rows_and_dead_letters_per_destination(client: Any) -> None:
    events("THING_HAPPENED", OutboxStatus.PENDING, OutboxStatus.DEAD, OutboxStatus.SENT)
    events("THING_CHANGED", OutboxStatus.DEAD)  # to sink and sink2

    response = signed_get(client, "/internal/outbox")

    assert response.status_code == 200
    assert response.json() == {
        "destinations": {"sink": {"pending": 1, "dead": 2}, "sink2": {"pending": 0, "dead": 1}}
    }


def test_an_unsigned_or_wrongly_signed_read_is_refused(client: Any) -> None:
    assert client.get("/internal/outbox").status_code == 403
    assert signed_get(client, "/internal/outbox", secret="other").status_code == 403
