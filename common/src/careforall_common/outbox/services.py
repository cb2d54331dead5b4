"""Writing events: inside the caller's transaction, waking the relay after commit.

Each event is one row per consumer, written with one plain INSERT for all the rows (and for all
the events of a call): through the ORM the outbox row cost a create more CPU than its other
inserts together (docs/benchmarks.md). The values are those the model's fields would write.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection
from django.utils import timezone

from careforall_common.conf import careforall_settings
from careforall_common.contracts.events import Event
from careforall_common.outbox.models import OutboxEvent, OutboxStatus
from careforall_common.outbox.wake import wake_after_commit
from careforall_common.request_id import current_request_id
from careforall_common.rows import Statement, insert_sql, statements_run
from careforall_common.tracing import current_traceparent


class Entry(NamedTuple):
    """What an event's rows say of it (the rest is the request's and the outbox's own)."""

    event_type: str
    aggregate_type: str
    aggregate_id: int
    payload: dict[str, Any]


def outbox_publish(event: Event) -> uuid.UUID:
    """Add the typed ``event`` to the outbox in the caller's transaction (see ``outbox_write``)."""
    (event_id,) = outbox_rows_insert([event])
    return event_id


def outbox_write(
    *, event_type: str, aggregate_type: str, aggregate_id: int, payload: dict[str, Any]
) -> uuid.UUID:
    """Add ``event_type`` to the outbox, one row per consumer, in the caller's transaction.

    The caller holds an open ``transaction.atomic()``: the event commits with the state change
    or not at all. After the commit the relay is woken; if that wake-up is lost, the beat sweep
    delivers the rows within a second or two.
    """
    statement, (event_id,) = _entries_statement(
        [Entry(event_type, aggregate_type, aggregate_id, payload)]
    )
    statements_run(statement)
    return event_id


def outbox_rows_insert(events: Sequence[Event]) -> list[uuid.UUID]:
    """``outbox_publish`` of each event, all in one INSERT; the events' ids, in order."""
    if not events:
        return []
    statement, ids = outbox_rows_statement(events)
    statements_run(statement)
    return ids


def outbox_rows_statement(events: Sequence[Event]) -> tuple[Statement, list[uuid.UUID]]:
    """The INSERT of ``outbox_rows_insert`` (for the caller to run with other statements, in
    the transaction held now) and the events' ids; the relay is woken after the commit."""
    return _entries_statement(
        [
            Entry(event.EVENT_TYPE, event.AGGREGATE_TYPE, event.aggregate_id, event.to_payload())
            for event in events
        ]
    )


def _entries_statement(entries: Sequence[Entry]) -> tuple[Statement, list[uuid.UUID]]:
    if not connection.in_atomic_block:
        raise RuntimeError("outbox_write needs the transaction of the state change")
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    request_id, trace = current_request_id.get(), current_traceparent()
    routes, source = careforall_settings.OUTBOX_ROUTES, settings.SERVICE_NAME
    ids, params, rows = [], [], 0
    for entry in entries:
        destinations = routes.get(entry.event_type)
        if not destinations:
            raise ValueError(f"no consumer is routed for {entry.event_type}")
        event_id = uuid.uuid4()
        ids.append(event_id)
        common = [
            str(event_id),
            entry.event_type,
            1,  # event_version
            source,
            entry.aggregate_type,
            entry.aggregate_id,
            now,  # occurred_at
            request_id,
            json.dumps(entry.payload),
            OutboxStatus.PENDING.value,
            0,  # attempts
            now,  # next_attempt_at
            "",  # last_error
            trace,
        ]
        for destination in destinations:
            params += [destination, *common]
            rows += 1
    wake_after_commit()  # dropped with the rest if the transaction rolls back
    return Statement(insert_sql(OutboxEvent._meta.db_table, _OUTBOX, rows), params), ids


_OUTBOX = (
    "destination",
    "event_id",
    "event_type",
    "event_version",
    "source",
    "aggregate_type",
    "aggregate_id",
    "occurred_at",
    "request_id",
    "payload",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "traceparent",
)
