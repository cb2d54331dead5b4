"""Plain SQL for the payment create: the statements the ORM would run, without its query building.

The ORM spends more CPU compiling a ``select_related(...).filter(...).first()`` or an
``update()`` than the database spends running it (docs/benchmarks.md). Reads select every
concrete column, in model order, convert the values with the ORM's own converters (times made
aware, JSON parsed, booleans) and build the instances through ``Model.from_db``, as a queryset
does; updates write values adapted as the fields adapt them. The caller holds the transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

from django.db import connection, models

from payments.models import IdempotencyRecord, Payment

M = TypeVar("M", bound=models.Model)
Converter = Callable[[Any, Any, Any], Any]


@cache
def _shape(
    model: type[models.Model], alias: str
) -> tuple[str, list[str], list[tuple[int, Any, list[Converter]]]]:
    """The columns of ``model`` as ``alias``.column, their attnames, and the converters of each
    column the ORM converts; built once per model."""
    quote = connection.ops.quote_name
    fields = model._meta.concrete_fields
    columns = ", ".join(f"{quote(alias)}.{quote(str(field.column))}" for field in fields)
    converted = []
    for index, field in enumerate(fields):
        column = field.get_col(alias)
        converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if converters:
            converted.append((index, column, converters))
    return columns, [field.attname for field in fields], converted


def _instance(model: type[M], alias: str, values: Sequence[Any]) -> M:
    _, names, converted = _shape(model, alias)
    row = list(values)
    for index, column, converters in converted:
        for convert in converters:
            row[index] = convert(row[index], column, connection)
    return model.from_db(connection.alias, names, row)


@cache
def _record_sql() -> tuple[str, int]:
    quote = connection.ops.quote_name
    records, _, _ = _shape(IdempotencyRecord, "r")
    payments, _, _ = _shape(Payment, "p")
    sql = (
        f"SELECT {records}, {payments} FROM {quote(IdempotencyRecord._meta.db_table)} r "  # noqa: S608
        f"INNER JOIN {quote(Payment._meta.db_table)} p ON p.id = r.payment_id "
        "WHERE r.scoped_key_hash = %s ORDER BY r.id ASC LIMIT 1"
    )
    return sql, len(IdempotencyRecord._meta.concrete_fields)


def record_with_payment(scoped_key_hash: str) -> IdempotencyRecord | None:
    """``IdempotencyRecord.objects.select_related("payment").filter(scoped_key_hash=…).first()``
    in one plain statement."""
    sql, split = _record_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [scoped_key_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    record = _instance(IdempotencyRecord, "r", row[:split])
    record.payment = _instance(Payment, "p", row[split:])
    return record


@cache
def _payment_sql() -> str:
    columns, _, _ = _shape(Payment, "p")
    table = connection.ops.quote_name(Payment._meta.db_table)
    return f"SELECT {columns} FROM {table} p WHERE p.id = %s"  # noqa: S608


def payment_get(payment_id: int) -> Payment:
    """``Payment.objects.get(pk=payment_id)`` in one plain statement."""
    with connection.cursor() as cursor:
        cursor.execute(_payment_sql(), [payment_id])
        row = cursor.fetchone()
    if row is None:
        raise Payment.DoesNotExist(f"No payment {payment_id}.")
    return _instance(Payment, "p", row)


@cache
def _answer_sql() -> str:
    table = connection.ops.quote_name(IdempotencyRecord._meta.db_table)
    return f"UPDATE {table} SET response_body = %s, answered = 1 WHERE id = %s AND answered = 0"  # noqa: S608


def record_answer(record_id: int, body: dict[str, Any]) -> bool:
    """Answer the record with ``body`` unless it is answered already; return whether this did.

    ``filter(pk=…, answered=False).update(response_body=body, answered=True)`` in plain SQL: the
    body as its JSONField (no encoder) stores it.
    """
    with connection.cursor() as cursor:
        cursor.execute(_answer_sql(), [json.dumps(body), record_id])
        return bool(cursor.rowcount)


def payment_update(
    payment_id: int, *, before: Sequence[str], intent_id: str | None, changes: dict[str, Any]
) -> bool:
    """Write ``changes`` if the payment is in a status of ``before`` and has no intent or this
    one; return whether it did. ``Payment.objects.filter(Q(provider_payment_id__isnull=True) |
    Q(provider_payment_id=intent_id), pk=…, status__in=before).update(**changes)``, in plain SQL.
    """
    quote = connection.ops.quote_name
    table = quote(Payment._meta.db_table)
    columns = _payment_columns()
    sets = ", ".join(f"{quote(columns[name])} = %s" for name in changes)
    statuses = ", ".join(["%s"] * len(before))
    sql = (
        f"UPDATE {table} SET {sets} WHERE id = %s AND status IN ({statuses}) "  # noqa: S608
        "AND (provider_payment_id IS NULL OR provider_payment_id = %s)"
    )
    values = [_field_value(value) for value in changes.values()]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, payment_id, *map(str, before), intent_id])
        return bool(cursor.rowcount)


@cache
def _payment_columns() -> dict[str, str]:
    return {field.name: str(field.column) for field in Payment._meta.concrete_fields}


def _field_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return str(value) if isinstance(value, str) else value  # a status: its plain value
