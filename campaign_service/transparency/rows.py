"""The appends' statements in plain SQL: one per table for a whole batch, whatever its campaigns.

Per campaign, through the ORM, an append cost about ten statements and more CPU than the rest of
the projector together (docs/benchmarks.md). Here a batch locks its logs' rows in one statement
(campaign id order, as the projector locks campaigns), reads what is logged of its payments and
refunds, the waiting refunds and the nodes its appends build on in one query each, and writes
each table in one statement. Values go as parameters, never into the text; each value is adapted
as its model field would adapt it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from django.db import connection, models
from django.utils import timezone

from careforall_common.contracts.events import CaptureLogged
from careforall_common.outbox.services import outbox_rows_insert
from transparency.models import DeferredRefund, EntryKind, LogEntry, LogNode, TransparencyLog
from transparency.tree import Address, Node

ENTRY_COLUMNS = (
    "campaign_id",
    "index",
    "kind",
    "amount",
    "currency",
    "occurred_at",
    "commitment",
    "refers_to",
    "payment_id",
    "refund_id",
    "logged_at",
)
DEFERRED_COLUMNS = ("refund_id", "campaign_id", "payment_id", "amount", "currency", "occurred_at")
_LOG_COLUMNS = ("campaign_id", "size", "total", "currency", "signed_size", "checkpoint_due")
# A log on record is locked by this batch: the upsert moves its head, never its signed size.
_LOG_UPDATE = (
    " ON DUPLICATE KEY UPDATE {size} = VALUES({size}), {total} = VALUES({total}), {due} = 1"
)
# Templates: table and column names from the models, one placeholder per value.
_LOGS_LOCK = (
    "SELECT campaign_id, size, total, currency FROM {table} "
    "WHERE campaign_id IN ({ids}) ORDER BY campaign_id FOR UPDATE"
)
_ENTRIES_READ = (
    "SELECT campaign_id, {index}, kind, amount, currency, commitment, payment_id, refund_id "
    "FROM {table} WHERE {wanted}"
)
_CAPTURE_TERM = "(campaign_id = %s AND kind = %s AND payment_id = %s)"
_REFUND_TERM = "(campaign_id = %s AND kind IN (%s, %s) AND refund_id = %s)"
_DEFERRED_READ = "SELECT {columns} FROM {table} WHERE {wanted}"
_NODES_READ = "SELECT campaign_id, level, {index}, hash, sum FROM {table} WHERE {wanted}"
_DEFERRED_DELETE = "DELETE FROM {table} WHERE refund_id IN ({ids})"
_INSERT = "INSERT INTO {table} ({columns}) VALUES {rows}{tail}"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _marks(count: int) -> str:
    return ",".join(["%s"] * count)


def _query(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


@cache
def _adapters(model: type[models.Model], columns: tuple[str, ...]) -> tuple[Any, ...]:
    """For each column, its field when the database needs the value adapted (times, uuids,
    JSON), else None: plain numbers, text and bytes go as they are."""
    fields = {field.column: field for field in model._meta.concrete_fields}
    adapted = (models.DateTimeField, models.UUIDField, models.JSONField)
    return tuple(fields[c] if isinstance(fields[c], adapted) else None for c in columns)


def _insert(
    model: type[models.Model], columns: tuple[str, ...], rows: list[tuple[Any, ...]], tail: str = ""
) -> None:
    if not rows:
        return
    adapters = _adapters(model, columns)
    params = [
        value if field is None else field.get_db_prep_save(value, connection)
        for row in rows
        for value, field in zip(row, adapters, strict=True)
    ]
    one = f"({_marks(len(columns))})"
    sql = _INSERT.format(
        table=_q(model._meta.db_table),
        columns=", ".join(map(_q, columns)),
        rows=",".join([one] * len(rows)),
        tail=tail,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def logs_lock(campaign_ids: list[int]) -> dict[int, tuple[int, int, str]]:
    """Lock the logs' rows in campaign id order; return the (size, total, currency) of each."""
    sql = _LOGS_LOCK.format(table=_q(TransparencyLog._meta.db_table), ids=_marks(len(campaign_ids)))
    return {
        int(pk): (int(size), int(total), cur) for pk, size, total, cur in _query(sql, campaign_ids)
    }


def entries_read(
    payments: set[tuple[int, int]], refunds: set[tuple[int, int]]
) -> list[tuple[Any, ...]]:
    """The entries on record of these (campaign, payment) captures and (campaign, refund)
    refunds and reversals: (campaign_id, index, kind, amount, currency, commitment, payment_id,
    refund_id). Each pair is its own term, so each is one look-up in its unique index."""
    capture, refund = EntryKind.CAPTURE.value, EntryKind.REFUND.value
    params: list[Any] = []
    for campaign_id, payment_id in sorted(payments):
        params += [campaign_id, capture, payment_id]
    for campaign_id, refund_id in sorted(refunds):
        params += [campaign_id, refund, EntryKind.REFUND_REVERSAL.value, refund_id]
    sql = _ENTRIES_READ.format(
        index=_q("index"),
        table=_q(LogEntry._meta.db_table),
        wanted=" OR ".join([_CAPTURE_TERM] * len(payments) + [_REFUND_TERM] * len(refunds)),
    )
    return _query(sql, params)


def deferred_read(
    payments: set[tuple[int, int]], refunds: set[tuple[int, int]]
) -> list[tuple[Any, ...]]:
    """The refunds waiting for one of these (campaign, payment) captures, or among these
    (campaign, refund) pairs (``DEFERRED_COLUMNS``)."""
    params = [value for pair in sorted(payments) + sorted(refunds) for value in pair]
    sql = _DEFERRED_READ.format(
        columns=", ".join(DEFERRED_COLUMNS),
        table=_q(DeferredRefund._meta.db_table),
        wanted=" OR ".join(
            ["(campaign_id = %s AND payment_id = %s)"] * len(payments)
            + ["(campaign_id = %s AND refund_id = %s)"] * len(refunds)
        ),
    )
    return _query(sql, params)


def nodes_read(wanted: dict[int, list[Address]]) -> dict[int, dict[Address, Node]]:
    """The nodes at these addresses of each campaign's tree, in one query."""
    found: dict[int, dict[Address, Node]] = {campaign_id: {} for campaign_id in wanted}
    terms = [(pk, level, index) for pk, addresses in wanted.items() for level, index in addresses]
    if not terms:
        return found
    one = f"(campaign_id = %s AND level = %s AND {_q('index')} = %s)"
    sql = _NODES_READ.format(
        index=_q("index"), table=_q(LogNode._meta.db_table), wanted=" OR ".join([one] * len(terms))
    )
    for pk, level, index, hash_, sum_ in _query(sql, [v for term in terms for v in term]):
        found[int(pk)][(int(level), int(index))] = Node(bytes(hash_), int(sum_))
    return found


def entries_write(rows: list[tuple[Any, ...]]) -> None:
    """Insert the new entries (``ENTRY_COLUMNS`` but ``logged_at``, which is now)."""
    now = timezone.now()
    _insert(LogEntry, ENTRY_COLUMNS, [(*row, now) for row in rows])


def nodes_write(rows: Iterable[tuple[int, Address, Node]]) -> None:
    """Insert the new nodes (the unique address makes a second write of a node an error)."""
    values = [(pk, level, index, node.hash, node.sum) for pk, (level, index), node in rows]
    _insert(LogNode, ("campaign_id", "level", "index", "hash", "sum"), values)


def logs_write(heads: list[tuple[int, int, int, str]]) -> None:
    """Make or move the logs' heads (campaign_id, size, total, currency), checkpoint due."""
    tail = _LOG_UPDATE.format(size=_q("size"), total=_q("total"), due=_q("checkpoint_due"))
    values = [(pk, size, total, currency, 0, True) for pk, size, total, currency in heads]
    _insert(TransparencyLog, _LOG_COLUMNS, values, tail)


def deferred_write(new: list[tuple[Any, ...]], gone: set[int]) -> None:
    """Insert the refunds that wait now (``DEFERRED_COLUMNS``), delete those appended."""
    _insert(DeferredRefund, DEFERRED_COLUMNS, new)
    if gone:
        sql = _DEFERRED_DELETE.format(
            table=_q(DeferredRefund._meta.db_table), ids=_marks(len(gone))
        )
        _query(sql, sorted(gone))


def capture_logged_publish(events: list[CaptureLogged]) -> None:
    """``outbox_publish`` of each event, all in one INSERT (careforall_common.outbox.services)."""
    outbox_rows_insert(events)
