"""Plain SQL inserts for the hot create paths: one statement per row, built once per shape.

The ORM's ``create`` spends more CPU building and adapting an INSERT than the database spends
running it (docs/benchmarks.md). These helpers write the same rows through the same connection
and cursor wrapper (so errors, query logging and the transaction are Django's), with the values
adapted as the model's fields would adapt them. The caller holds the transaction.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any, TypeVar

from django.db import connection, models
from django.utils import timezone

M = TypeVar("M", bound=models.Model)


@cache
def insert_sql(table: str, columns: tuple[str, ...], rows: int = 1) -> str:
    quote = connection.ops.quote_name
    values = "(" + ", ".join(["%s"] * len(columns)) + ")"
    names = ", ".join(map(quote, columns))
    # Names come from the models, values are bound parameters.
    return f"INSERT INTO {quote(table)} ({names}) VALUES {', '.join([values] * rows)}"  # noqa: S608


def _db_value(value: Any) -> Any:
    """A Python value as its field would hand it to the database (JSON text, naive UTC)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value)  # what a JSONField without an encoder stores
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


@cache
def _shape(
    model: type[models.Model],
) -> tuple[tuple[tuple[models.Field[Any, Any], bool], ...], str]:
    """The fields an insert writes (all but the primary key; whether each is an ``auto_now``
    time) and the statement, built once per model."""
    fields = tuple(
        (field, bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)))
        for field in model._meta.concrete_fields
        if not field.primary_key
    )
    if not model._meta.concrete_fields[0].primary_key:
        raise TypeError(f"{model.__name__}: the primary key must be the first field")
    columns = tuple(field.column for field, _ in fields)
    return fields, insert_sql(model._meta.db_table, columns)


def row_insert(model: type[M], **values: Any) -> M:
    """Insert one row of ``model`` as ``model.objects.create(**values)`` would; return it.

    Every column is written, as the ORM writes it: the value given (by field name or attname),
    else the ``auto_now``/``auto_now_add`` time (one ``now`` for all of them), else the field's
    default. A foreign key given as the related object is kept on the instance, so reading it
    costs no query.
    """
    fields, sql = _shape(model)
    now = None
    row: list[Any] = []
    related: list[tuple[models.Field[Any, Any], models.Model]] = []
    for field, is_now in fields:
        if field.name in values:
            value = values[field.name]
            if isinstance(value, models.Model):
                related.append((field, value))
                value = value.pk
        elif field.attname in values:
            value = values[field.attname]
        elif is_now:
            value = now = now or timezone.now()
        else:
            value = field.get_default()
        row.append(value)
    with connection.cursor() as cursor:
        cursor.execute(sql, [_db_value(value) for value in row])
        pk = cursor.lastrowid
    # Positional, in field order: the ORM's own quick path (``Model.from_db``).
    instance = model(pk, *row)
    instance._state.adding = False
    instance._state.db = connection.alias
    for field, obj in related:
        field.set_cached_value(instance, obj)  # type: ignore[attr-defined]
    return instance
