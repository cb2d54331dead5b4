"""Plain SQL for the hot create paths: one statement per row, built once per shape, sent in as
few round trips as the transaction allows.

The ORM's ``create`` spends more CPU building and adapting an INSERT than the database spends
running it (docs/benchmarks.md). These helpers write the same rows through the same connection
and cursor wrapper (so errors, query logging and the transaction are Django's), with the values
adapted as the model's fields would adapt them. The caller holds the transaction
(``create_transaction`` for a create's own).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from functools import cache, wraps
from typing import Any, Generic, ParamSpec, TypeVar

from django.db import (
    DEFAULT_DB_ALIAS,
    IntegrityError,
    OperationalError,
    connection,
    connections,
    models,
    transaction,
)
from django.db.backends.mysql.base import CursorWrapper as MySQLCursorWrapper
from django.utils import timezone

from careforall_common.db_errors import error_code

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=models.Model)
P = ParamSpec("P")
T = TypeVar("T")
_PLAIN = frozenset({str, int, bool, float, type(None)})  # handed to the driver as they are


@dataclass(frozen=True)
class Statement:
    """One SQL statement and its parameters (bound by the driver, never formatted in)."""

    sql: str
    params: Sequence[Any]


@dataclass(frozen=True)
class Result:
    """What a statement of ``statements_run`` left: its insert id, and its first row if any."""

    lastrowid: int | None
    row: tuple[Any, ...] | None


@cache
def insert_sql(table: str, columns: tuple[str, ...], rows: int = 1) -> str:
    quote = connection.ops.quote_name
    values = "(" + ", ".join(["%s"] * len(columns)) + ")"
    names = ", ".join(map(quote, columns))
    # Names come from the models, values are bound parameters.
    return f"INSERT INTO {quote(table)} ({names}) VALUES {', '.join([values] * rows)}"  # noqa: S608


def _db_value(value: Any) -> Any:
    """A Python value as its field would hand it to the database (JSON text, naive UTC)."""
    if type(value) in _PLAIN:
        return value
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


class Row(Generic[M]):
    """One row of ``model`` ready to insert: its ``statement``, and ``made`` for the instance."""

    def __init__(self, model: type[M], values: dict[str, Any]) -> None:
        fields, sql = _shape(model)
        now = None
        row: list[Any] = []
        self.related: list[tuple[models.Field[Any, Any], models.Model]] = []
        for field, is_now in fields:
            if field.name in values:
                value = values[field.name]
                if isinstance(value, models.Model):
                    self.related.append((field, value))
                    value = value.pk
            elif field.attname in values:
                value = values[field.attname]
            elif is_now:
                value = now = now or timezone.now()
            else:
                value = field.get_default()
            row.append(value)
        self.model, self.row = model, row
        self.statement = Statement(sql, [_db_value(value) for value in row])

    def made(self, pk: Any) -> M:
        """The instance of the inserted row, whose primary key is ``pk``."""
        # Positional, in field order: the ORM's own quick path (``Model.from_db``).
        instance = self.model(pk, *self.row)
        instance._state.adding = False
        instance._state.db = DEFAULT_DB_ALIAS
        for field, obj in self.related:
            field.set_cached_value(instance, obj)  # type: ignore[attr-defined]
        return instance


def row_prepare(model: type[M], **values: Any) -> Row[M]:
    """The row ``model.objects.create(**values)`` would write, not yet written.

    Every column is written, as the ORM writes it: the value given (by field name or attname),
    else the ``auto_now``/``auto_now_add`` time (one ``now`` for all of them), else the field's
    default. A foreign key given as the related object is kept on the instance, so reading it
    costs no query.
    """
    return Row(model, values)


def row_insert(model: type[M], **values: Any) -> M:
    """Insert one row of ``model`` as ``model.objects.create(**values)`` would; return it."""
    row = row_prepare(model, **values)
    (result,) = statements_run(row.statement)
    return row.made(result.lastrowid)


def statements_run(*statements: Statement) -> list[Result]:
    """Run ``statements`` in order in one round trip; what each left, in order.

    mysqlclient opens every connection with multi-statements on (its default, not a setting of
    ours); the parameters are still bound and escaped by the driver, statement by statement. The
    server stops at the first statement that fails: its error is raised, as ``execute`` raises
    it, and the statements after it do not run.
    """
    sql = "; ".join(statement.sql for statement in statements)
    params = [param for statement in statements for param in statement.params]
    results = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for n in range(len(statements)):
            if n:
                _next_result(cursor)
            results.append(Result(cursor.lastrowid, cursor.fetchone()))
    return results


def _next_result(cursor: Any) -> None:
    """Move ``cursor`` (Django's wrapper) to the next statement's result, raising its error as
    Django's MySQL cursor raises that of an ``execute``."""
    wrapper = cursor.db
    with wrapper.wrap_database_errors:
        try:
            cursor.cursor.nextset()
        except wrapper.Database.OperationalError as error:
            if error.args[0] in MySQLCursorWrapper.codes_for_integrityerror:
                raise IntegrityError(*error.args) from error
            raise


class _Begin:
    """How ``create_transaction`` begins: Django's ``Atomic`` calls it where it would turn
    autocommit off, and the block's first statement then carries ``START TRANSACTION``."""

    def __init__(self) -> None:
        self.pending = False
        self.lost = False  # the first round trip found the connection gone

    def __call__(self) -> None:
        self.pending = True

    def first_statement(
        self, execute: Any, sql: str, params: Any, many: bool, context: dict[str, Any]
    ) -> Any:
        if not self.pending:
            return execute(sql, params, many, context)
        self.pending = False
        try:
            if many:  # an executemany cannot carry it: a round trip of its own
                execute("START TRANSACTION", None, False, context)
                return execute(sql, params, many, context)
            execute(f"START TRANSACTION; {sql}", params, many, context)
        except OperationalError as error:
            self.lost = error_code(error) in _CONNECTION_LOST
            raise
        cursor = context["cursor"]
        _next_result(cursor)
        return cursor.rowcount


# Django begins a transaction through a backend's method of this name when it has one (its
# SQLite backend's BEGIN) instead of turning autocommit off.
_BEGIN_HOOK = "_start_transaction_under_autocommit"
# The connection is gone, whatever the statement: the client's "server has gone away" and "lost
# connection", the server's "connection was killed".
_CONNECTION_LOST = frozenset({2006, 2013, 1927})


def create_transaction(create: Callable[P, T]) -> Callable[P, T]:
    """Run ``create`` in ``transaction.atomic(durable=True)``, begun with its first statement:
    one round trip where Django's takes three (``SET autocommit=0`` before and
    ``SET autocommit=1`` after), and none for ``CONN_HEALTH_CHECKS``' ping.

    The block is Django's own atomic block in everything else: COMMIT at its end, ROLLBACK on
    any error, ``on_commit`` hooks after the commit (none after a rollback), savepoints for
    blocks nested in it, refused inside another block but a test's (where it is a savepoint).
    Only the start differs: ``START TRANSACTION``, in the packet of the block's first statement,
    instead of turning the session's autocommit off. Either way one InnoDB transaction holds
    every statement of the block until its COMMIT or ROLLBACK; the session's autocommit stays
    on, so turning it back on after the block sends nothing (mysqlclient skips a change to what
    the server reports).

    The ping before a request's first query finds a connection the server dropped (a restart)
    and opens another. Here the block's first round trip finds it instead: nothing of the
    transaction can have been committed then, so the block runs once more, on a new connection.
    A connection lost after the first round trip is an error, as it always was.
    """

    @wraps(create)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        wrapper: Any = connections[DEFAULT_DB_ALIAS]  # the health-check flags are not typed
        unchecked = (
            wrapper.connection is not None
            and wrapper.health_check_enabled
            and not wrapper.health_check_done
            and not wrapper.in_atomic_block
        )
        if unchecked:
            wrapper.health_check_done = True  # the first round trip checks it
        begin = _Begin()
        try:
            return _begun_with_first_statement(wrapper, begin, create, *args, **kwargs)
        except OperationalError:
            if not (unchecked and begin.lost):
                raise
            logger.info("create: the database connection was gone; running on a new one")
        return _begun_with_first_statement(wrapper, _Begin(), create, *args, **kwargs)

    return run


def _begun_with_first_statement(
    wrapper: Any, begin: _Begin, create: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> T:
    vars(wrapper)[_BEGIN_HOOK] = begin
    try:
        with wrapper.execute_wrapper(begin.first_statement), transaction.atomic(durable=True):
            try:
                return create(*args, **kwargs)
            finally:
                begin.pending = False  # a block without statements: its commit hooks' own
    finally:
        vars(wrapper).pop(_BEGIN_HOOK, None)
