"""The projector's hot statements in plain SQL: the same few every batch, whatever its size.

Building them through the ORM cost more CPU than everything else of a batch together (query
building, expression resolution, model instances: docs/benchmarks.md "The pipeline in plain
SQL"). Each is one statement for the whole batch; values go as parameters, never into the text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection

from campaigns.models import Campaign, PaymentEvent, PledgeProjection

PLEDGE_COLUMNS = (
    "pledge_id",
    "campaign_id",
    "amount",
    "currency",
    "status",
    "donor_name",
    "anonymous",
    "occurred_at",
    "updated_at",
)
# A changed row is known and locked by this batch: the upsert only ever updates it.
_PLEDGES_UPDATE = " ON DUPLICATE KEY UPDATE " + ", ".join(
    f"{name} = VALUES({name})"
    for name in ("status", "donor_name", "anonymous", "occurred_at", "updated_at")
)
AUDIT_COLUMNS = (
    "payment_id",
    "event_type",
    "pledge_id",
    "campaign_id",
    "amount",
    "currency",
    "error",
    "occurred_at",
    "event_id",
    "received_at",
)

# Templates: table and column names from the models, one placeholder per value.
_CAMPAIGNS_LOCK = "SELECT id, currency FROM {table} WHERE id IN ({ids}) ORDER BY id FOR UPDATE"
_PLEDGES_LOCK = "SELECT {columns} FROM {table} WHERE pledge_id IN ({ids}) FOR UPDATE"
_AUDITED = "SELECT payment_id, event_type FROM {table} WHERE payment_id IN ({ids})"
_INSERT = "INSERT INTO {table} ({columns}) VALUES {rows}{tail}"


def _query(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _marks(count: int) -> str:
    return ",".join(["%s"] * count)


def db_time(value: datetime) -> Any:
    """``value`` as the database column takes it (naive UTC when time zones are on)."""
    return connection.ops.adapt_datetimefield_value(value)


def campaigns_lock(campaign_ids: list[int]) -> dict[int, str]:
    """Lock the campaigns' rows in id order; return the currency of each that exists."""
    sql = _CAMPAIGNS_LOCK.format(table=Campaign._meta.db_table, ids=_marks(len(campaign_ids)))
    return {int(pk): currency for pk, currency in _query(sql, list(campaign_ids))}


def pledges_lock(pledge_ids: set[int]) -> list[tuple[Any, ...]]:
    """Lock the pledges' projection rows; return them (``PLEDGE_COLUMNS`` but ``updated_at``)."""
    if not pledge_ids:
        return []
    sql = _PLEDGES_LOCK.format(
        columns=", ".join(PLEDGE_COLUMNS[:-1]),
        table=PledgeProjection._meta.db_table,
        ids=_marks(len(pledge_ids)),
    )
    return _query(sql, sorted(pledge_ids))


def audited_read(payment_ids: set[int]) -> set[tuple[int, str]]:
    """The (payment, event type) pairs on record of these payments."""
    if not payment_ids:
        return set()
    sql = _AUDITED.format(table=PaymentEvent._meta.db_table, ids=_marks(len(payment_ids)))
    return {(int(pk), event_type) for pk, event_type in _query(sql, sorted(payment_ids))}


def _insert(table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]], tail: str) -> None:
    if not rows:
        return
    one = f"({_marks(len(columns))})"
    sql = _INSERT.format(
        table=table, columns=", ".join(columns), rows=",".join([one] * len(rows)), tail=tail
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for row in rows for value in row])


def pledges_write(new: list[tuple[Any, ...]], changed: list[tuple[Any, ...]]) -> None:
    """Insert the new rows (a row inserted meanwhile by another batch fails the batch, which is
    then applied again one event at a time) and update the changed ones: one statement each."""
    table = PledgeProjection._meta.db_table
    _insert(table, PLEDGE_COLUMNS, new, "")
    _insert(table, PLEDGE_COLUMNS, changed, _PLEDGES_UPDATE)


def audit_write(rows: list[tuple[Any, ...]]) -> None:
    """Insert the payments' audit rows (``AUDIT_COLUMNS``); one per payment and event type."""
    _insert(PaymentEvent._meta.db_table, AUDIT_COLUMNS, rows, "")
