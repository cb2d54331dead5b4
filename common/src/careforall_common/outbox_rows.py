"""The outbox rows of events in one plain INSERT, for the hot paths.

``outbox_publish`` through the ORM costs a create more CPU than its other two inserts together
(docs/benchmarks.md); this writes the same rows, with the same values, and wakes the relay the
same way after the commit.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

from django.conf import settings
from django.db import connection
from django.utils import timezone

from careforall_common.conf import careforall_settings
from careforall_common.contracts.events import Event
from careforall_common.outbox import services as outbox_services
from careforall_common.outbox.models import OutboxEvent, OutboxStatus
from careforall_common.request_id import current_request_id
from careforall_common.rows import Statement, insert_sql, statements_run
from careforall_common.tracing import current_traceparent


def outbox_rows_insert(events: Sequence[Event]) -> list[uuid.UUID]:
    """``outbox_publish`` of each event in one plain INSERT: the same rows, one per consumer of
    each, and the same wake-up after the commit. Returns the events' ids, in order.

    The caller holds the transaction of the state change (``outbox_write``'s contract).
    """
    if not events:
        return []
    statement, ids = outbox_rows_statement(events)
    statements_run(statement)
    return ids


def outbox_rows_statement(events: Sequence[Event]) -> tuple[Statement, list[uuid.UUID]]:
    """The INSERT of ``outbox_rows_insert`` (for the caller to run with other statements, in
    the transaction held now) and the events' ids; the relay is woken after the commit."""
    if not connection.in_atomic_block:
        raise RuntimeError("outbox_write needs the transaction of the state change")
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    request_id, trace = current_request_id.get(), current_traceparent()
    routes, source = careforall_settings.OUTBOX_ROUTES, settings.SERVICE_NAME
    ids, params, rows = [], [], 0
    for event in events:
        destinations = routes.get(event.EVENT_TYPE)
        if not destinations:
            raise ValueError(f"no consumer is routed for {event.EVENT_TYPE}")
        event_id = uuid.uuid4()
        ids.append(event_id)
        common = [
            str(event_id),
            event.EVENT_TYPE,
            1,  # event_version
            source,
            event.AGGREGATE_TYPE,
            event.aggregate_id,
            now,  # occurred_at
            request_id,
            json.dumps(event.to_payload()),
            OutboxStatus.PENDING.value,
            0,  # attempts
            now,  # next_attempt_at
            "",  # last_error
            trace,
        ]
        for destination in destinations:
            params += [destination, *common]
            rows += 1
    outbox_services.wake_after_commit()  # dropped with the rest if the transaction rolls back
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
