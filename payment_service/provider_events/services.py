"""The provider's webhook events: verified on the raw body, stored once, closed with a result.

Each event is stored before it is acted on (``provider_events.handlers``) and marked with its
result in the transaction of the effect. A redelivery of an event marked with a result changes
nothing; one of an event still ``received`` (a crash or error in between) is acted on again.

The store and the result are single statements in plain SQL, on the webhook's every delivery:
the ORM's building of them cost more than the database's work. Outside a transaction each is
its own, committed when it returns, as the one-statement ``atomic`` blocks they replace were,
without their two round trips to switch autocommit off and on.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

import stripe
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from careforall_common.problems import Problem
from payments.models import Payment
from provider_events.models import ProviderEvent, ProviderEventResult


def webhook_event_verify(*, payload: bytes, signature: str | None) -> dict[str, Any]:
    """Return the event of a correctly signed body; 400 for anything else (SPEC §5.6)."""
    if signature is not None and not signature.isascii():
        # The SDK's constant-time comparison raises TypeError on non-ASCII text.
        raise Problem(400, "The webhook signature is missing, wrong or stale.")
    try:
        # The SDK's check (construct_event without its parsing, which a signed non-object body
        # would crash): HMAC-SHA256 of "<t>.<raw body>", compared in constant time, t not older
        # than the tolerance.
        stripe.WebhookSignature.verify_header(
            payload,
            signature or "",
            settings.STRIPE_WEBHOOK_SECRET,
            tolerance=settings.STRIPE_WEBHOOK_TOLERANCE,
        )
    except (stripe.SignatureVerificationError, ValueError):
        raise Problem(400, "The webhook signature is missing, wrong or stale.") from None
    try:
        event = json.loads(payload)
    except ValueError:
        event = None
    if not (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and 0 < len(event["id"]) <= 255
        and isinstance(event.get("type"), str)
        and isinstance(event.get("data"), dict)
        and isinstance(event["data"].get("object"), dict)
    ):
        raise Problem(400, "The webhook body is not an event.")
    return event


def event_intent_id(found: dict[str, Any]) -> str | None:
    """The intent an event's object is about: itself, or its ``payment_intent``."""
    if found.get("object") == "payment_intent":
        intent = found.get("id")
    else:
        intent = found.get("payment_intent")
        if isinstance(intent, dict):
            intent = intent.get("id")
    return str(intent)[:255] if isinstance(intent, str) and intent else None


@dataclass(frozen=True)
class StoredEvent:
    """An event's row: what acting on it needs."""

    pk: int
    event_id: str
    result: str


# The model's own table name; every value goes as a parameter.
TABLE = ProviderEvent._meta.db_table
INSERT = (
    f"INSERT INTO {TABLE} (event_id, event_type, intent_id, payload, result, received_at)"  # noqa: S608
    " VALUES (%s, %s, %s, %s, %s, %s)"
)
SELECT = f"SELECT id, result FROM {TABLE} WHERE event_id = %s"  # noqa: S608
RESULT_SET = f"UPDATE {TABLE} SET result = %s, payment_id = %s, processed_at = %s WHERE id = %s"  # noqa: S608


def _now() -> Any:
    """Now, as the ORM writes a DateTimeField."""
    return connection.ops.adapt_datetimefield_value(timezone.now())


def provider_event_store(event: dict[str, Any]) -> StoredEvent:
    """Insert the event, or return the stored one with the same id."""
    intent_id = event_intent_id(event["data"]["object"])
    values = (
        event["id"],
        str(event["type"])[:100],
        intent_id,
        json.dumps(event),  # as the JSONField writes it
        ProviderEventResult.RECEIVED.value,
        _now(),
    )
    # In a caller's transaction, a savepoint: a duplicate leaves that transaction usable.
    nested = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
    try:
        with nested, connection.cursor() as cursor:
            cursor.execute(INSERT, values)
            return StoredEvent(cursor.lastrowid, event["id"], ProviderEventResult.RECEIVED.value)
    except IntegrityError:
        with connection.cursor() as cursor:
            cursor.execute(SELECT, [event["id"]])
            row = cursor.fetchone()
    if row is None:
        raise ProviderEvent.DoesNotExist(event["id"])
    return StoredEvent(row[0], event["id"], row[1])


def provider_event_close(
    stored: StoredEvent, result: ProviderEventResult, payment: Payment | None = None
) -> str:
    """Record the result of an event that had no effect; committed when this returns."""
    if connection.in_atomic_block:
        with transaction.atomic(durable=True):  # refused in a caller's transaction, as ever
            return provider_event_result_set(stored, result, payment)
    return provider_event_result_set(stored, result, payment)


def provider_event_result_set(
    stored: StoredEvent, result: ProviderEventResult, payment: Payment | None
) -> str:
    """Record the event's result in the caller's transaction (the one of its effect)."""
    with connection.cursor() as cursor:
        cursor.execute(
            RESULT_SET, [result.value, payment.pk if payment else None, _now(), stored.pk]
        )
    return result.value


@cache
def _payment_shape() -> tuple[str, list[str], list[tuple[int, Any]]]:
    """The statement reading a payment by its intent, the fields it reads (in model order), and
    the columns whose values the ORM converts (the times, made aware), built once."""
    fields = Payment._meta.concrete_fields
    table = Payment._meta.db_table
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in fields)
    sql = f"SELECT {columns} FROM {quote(table)} WHERE provider_payment_id = %s"  # noqa: S608
    converted = []
    for index, field in enumerate(fields):
        column = field.get_col(table)
        if connection.ops.get_db_converters(column) + column.get_db_converters(connection):
            converted.append((index, column))
    return sql, [field.attname for field in fields], converted


def payment_by_intent(intent_id: str) -> Payment | None:
    """The payment of the provider's intent ``intent_id``: what ``Payment.objects.filter(
    provider_payment_id=intent_id).first()`` returns (the column is unique), in plain SQL."""
    sql, names, converted = _payment_shape()
    with connection.cursor() as cursor:
        cursor.execute(sql, [intent_id])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, column in converted:
        for convert in connection.ops.get_db_converters(column) + column.get_db_converters(
            connection
        ):
            values[index] = convert(values[index], column, connection)
    return Payment.from_db(connection.alias, names, values)


def provider_event_prune() -> int:
    """Forget raw provider events long after Stripe stops redelivering them (3 days)."""
    cutoff = timezone.now() - timedelta(days=settings.PROVIDER_EVENT_RETENTION_DAYS)
    deleted, _ = ProviderEvent.objects.filter(received_at__lt=cutoff).delete()
    return deleted
