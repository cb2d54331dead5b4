"""Delivering outbox rows: at least once, in order per aggregate, safe with many relays (SPEC §4).

A relay claims due rows in a short transaction (``SELECT … FOR UPDATE SKIP LOCKED``) and leases
them; only the oldest undelivered row of each aggregate is eligible, so a later event never
overtakes an earlier one, and a leased row keeps every other relay off its aggregate. The rows
of each destination go in one signed POST, outside any transaction, and the outcome of each is
written back under the lease. A relay that dies mid-delivery loses its lease when it expires;
the rows are then delivered again, and consumers drop the duplicates by ``event_id``.

Only a consumer's rejection of an event parks its row as a dead letter. A transport failure
(refused, timed out, a 5xx, an answer without results) or an event the consumer failed to apply
is retried for as long as it lasts, with capped exponential backoff: after any outage the
pipeline resumes by itself.
"""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from itertools import groupby
from typing import Any

import requests
from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from careforall_common.conf import careforall_settings
from careforall_common.internal import internal_post
from careforall_common.leases import Lease, lease_release
from careforall_common.outbox.models import OutboxEvent, OutboxStatus
from careforall_common.outbox.wake import clear_wake, wake_relay
from careforall_common.tracing import delivery_span

logger = logging.getLogger(__name__)

DONE = {"processed", "duplicate"}
# "ignored" is what consumers of earlier releases answered for a type they had no handler for:
# a type a consumer does not know is a rejection, not a success (SPEC §4).
REJECTED = {"rejected", "ignored"}


def relay_due_events() -> int:
    """Deliver due rows until none is due or the drain time is up; return how many were sent."""
    deadline = time.monotonic() + careforall_settings.OUTBOX_DRAIN_SECONDS
    sent = 0
    linger = careforall_settings.OUTBOX_LINGER_MS / 1000
    delivered = False
    while time.monotonic() < deadline:
        if delivered and linger:
            # Rows keep coming (this relay has delivered already): let the commits of the next
            # moments join the batch, for fewer, fuller deliveries (each costs the relay and the
            # consumer a transaction). The first look after a wake-up never waits, so a quiet
            # system is as quick as ever.
            time.sleep(linger)
        clear_wake()  # a commit from now on wakes another relay; this one looks once more
        token, batch = claim_batch()
        if not batch:
            break
        sent += deliver(token, batch)
        delivered = True
        if len(batch) >= careforall_settings.OUTBOX_BATCH_SIZE:
            linger = 0.0  # a backlog: drain it as fast as it goes
    return sent


# The due head rows of their aggregates, oldest first, skipping rows another relay holds. Plain
# SQL, as are the lease and the outcome of the rows sent: the statements are the same every time,
# and building them and their rows through the ORM cost the relay more than the delivery did
# (docs/benchmarks.md).
_CLAIM = """
SELECT {columns} FROM {table} o
WHERE o.status = 'pending' AND o.next_attempt_at <= %s
  AND (o.lease_until IS NULL OR o.lease_until < %s)
  AND NOT EXISTS (
    SELECT 1 FROM {table} e
    WHERE e.destination = o.destination AND e.aggregate_type = o.aggregate_type
      AND e.aggregate_id = o.aggregate_id AND e.id < o.id AND e.status IN ('pending', 'dead')
  )
ORDER BY o.id
LIMIT %s
FOR UPDATE SKIP LOCKED
"""
_LEASE = "UPDATE {table} SET lease_until = %s, lease_token = %s WHERE id IN ({ids})"
_SENT = (
    "UPDATE {table} SET status = 'sent', sent_at = %s, last_error = '', lease_until = NULL, "
    "lease_token = NULL WHERE id IN ({ids}) AND lease_token = %s"
)


def _db_time(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _row(values: tuple[Any, ...]) -> OutboxEvent:
    """An ``OutboxEvent`` of the claim's columns (every concrete field, in order)."""
    converted = list(values)
    for index, convert in _CONVERTERS:
        if converted[index] is not None:
            converted[index] = convert(converted[index])
    return OutboxEvent.from_db(connection.alias, _NAMES, converted)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if settings.USE_TZ and value.tzinfo is None else value


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


_FIELDS = OutboxEvent._meta.concrete_fields
_NAMES = [field.attname for field in _FIELDS]
_CONVERTERS = [
    (index, convert)
    for index, field in enumerate(_FIELDS)
    for kind, convert in (
        (models.DateTimeField, _aware),
        (models.UUIDField, _uuid),
        (models.JSONField, _json),
    )
    if isinstance(field, kind)
]


def claim_batch() -> tuple[uuid.UUID, list[OutboxEvent]]:
    """Lease the due head rows of their aggregates; return the lease token and the rows."""
    lease = Lease.new(careforall_settings.OUTBOX_LEASE_SECONDS)
    now = _db_time(timezone.now())
    table = OutboxEvent._meta.db_table
    columns = ", ".join(f"o.{field.column}" for field in _FIELDS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            _CLAIM.format(columns=columns, table=table),
            [now, now, careforall_settings.OUTBOX_BATCH_SIZE],
        )
        rows = [_row(values) for values in cursor.fetchall()]
        if not rows:
            return lease.token, []
        ids = [row.pk for row in rows]
        cursor.execute(
            _LEASE.format(table=table, ids=",".join(["%s"] * len(ids))),
            [_db_time(lease.until), str(lease.token), *ids],
        )
    for row in rows:
        row.lease_until, row.lease_token = lease.until, lease.token
    rows.sort(key=lambda row: (row.destination, row.pk))
    return lease.token, rows


def deliver(token: uuid.UUID, batch: list[OutboxEvent]) -> int:
    """POST the leased rows to their consumers, record each outcome; return how many were sent."""
    sent = 0
    for destination, group in groupby(batch, key=lambda row: row.destination):
        rows = list(group)
        with delivery_span(destination, rows):  # in the trace of the rows' requests
            results, error = _post(destination, rows)
        sent += record(token, rows, results, error)
    return sent


def _post(destination: str, rows: list[OutboxEvent]) -> tuple[dict[str, Any], str]:
    body = {"events": [row.envelope() for row in rows]}
    try:
        response = internal_post(destination, "/internal/events", body, timeout=(2, 10))
    except requests.RequestException as error:
        return {}, f"{destination} unreachable: {error.__class__.__name__}: {error}"
    if response.status_code != 200:
        return {}, f"{destination} answered {response.status_code}: {response.text[:500]}"
    try:
        results = {item["event_id"]: item for item in response.json()["results"]}
    except (ValueError, KeyError, TypeError):
        return {}, f"{destination} answered 200 without results"
    return results, ""


def record(token: uuid.UUID, rows: list[OutboxEvent], results: dict[str, Any], error: str) -> int:
    """Write the outcome of a delivery under the lease ``token``; return how many were sent."""
    now = timezone.now()
    sent: list[int] = []
    changes: list[tuple[int, dict[str, Any]]] = []
    for row in rows:
        result = results.get(str(row.event_id), {})
        status = result.get("status")
        if status in DONE:
            sent.append(row.pk)
        elif status in REJECTED:  # the consumer can never apply it: no retry heals that
            changes.append(
                (
                    row.pk,
                    {
                        "status": OutboxStatus.DEAD,
                        "last_error": str(result.get("error", status))[:2000],
                    },
                )
            )
        else:  # not delivered, or not applied yet: retried for as long as that lasts
            attempts = row.attempts + 1
            change: dict[str, Any] = {
                "attempts": attempts,
                "last_error": (error or str(result.get("error", "no result")))[:2000],
                "next_attempt_at": now + timedelta(seconds=backoff(attempts)),
            }
            changes.append((row.pk, change))
    with transaction.atomic():
        if sent:
            with connection.cursor() as cursor:
                table = OutboxEvent._meta.db_table
                cursor.execute(
                    _SENT.format(table=table, ids=",".join(["%s"] * len(sent))),
                    [_db_time(now), *sent, str(token)],
                )
        for pk, change in changes:
            lease_release(OutboxEvent.objects.filter(pk=pk), token=token, **change)
    if changes:
        logger.warning(
            "outbox: %d sent, %d not: %s", len(sent), len(changes), error or "refused by consumer"
        )
    return len(sent)


def backoff(attempts: int, *, base: float | None = None, cap: float | None = None) -> float:
    """Seconds before try ``attempts + 1``: exponential, capped, with ±20 % jitter.

    ``base`` and ``cap`` default to the outbox's; other retried work (donor emails) passes its
    own.
    """
    base = float(careforall_settings.OUTBOX_BACKOFF_BASE if base is None else base)
    cap = float(careforall_settings.OUTBOX_BACKOFF_CAP if cap is None else cap)
    delay = min(cap, base * 2.0 ** min(attempts - 1, 64))  # no float overflow after days
    return delay * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not security)


def outbox_replay(*, ids: list[int]) -> int:
    """Give dead rows a fresh set of attempts; return how many were revived."""
    revived = OutboxEvent.objects.filter(pk__in=ids, status=OutboxStatus.DEAD).update(
        status=OutboxStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error=""
    )
    wake_relay()
    return revived


def outbox_prune() -> int:
    """Delete sent rows past the retention period; undelivered rows are never deleted."""
    cutoff = timezone.now() - timedelta(days=careforall_settings.OUTBOX_RETENTION_DAYS)
    deleted, _ = OutboxEvent.objects.filter(status=OutboxStatus.SENT, sent_at__lt=cutoff).delete()
    return deleted
