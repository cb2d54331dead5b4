"""One row per event and destination, written in the transaction of the state change (SPEC §4)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.utils import timezone

from careforall_common.contracts.events import Envelope


class OutboxStatus(models.TextChoices):
    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"


class OutboxEvent(models.Model):
    """An event waiting for, or done with, delivery to one consumer.

    Backoff state lives here, not in the broker: ``attempts``, ``next_attempt_at`` and
    ``last_error``. ``lease_until`` and ``lease_token`` mark a row a relay is delivering now.
    """

    event_id = models.UUIDField(default=uuid.uuid4)
    destination = models.CharField(max_length=32)
    event_type = models.CharField(max_length=64)
    event_version = models.PositiveSmallIntegerField(default=1)
    source = models.CharField(max_length=32)
    aggregate_type = models.CharField(max_length=32)
    aggregate_id = models.BigIntegerField()
    occurred_at = models.DateTimeField(default=timezone.now)
    request_id = models.CharField(max_length=128, blank=True)
    # The W3C trace context of the request that wrote the row, when tracing is on.
    traceparent = models.CharField(max_length=55, null=True, blank=True)
    payload = models.JSONField()
    status = models.CharField(
        max_length=8, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.UUIDField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event_id", "destination"], name="outbox_event_once_per_destination"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "destination", "next_attempt_at"], name="outbox_due"),
            models.Index(
                fields=["destination", "aggregate_type", "aggregate_id", "status"],
                name="outbox_aggregate",
            ),
            models.Index(fields=["status", "sent_at"], name="outbox_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.aggregate_type}#{self.aggregate_id} → {self.destination}"

    def envelope(self) -> dict[str, Any]:
        """Return the event as consumers receive it (SPEC §4)."""
        return Envelope(
            event_id=str(self.event_id),
            event_type=self.event_type,
            event_version=self.event_version,
            occurred_at=self.occurred_at,
            source=self.source,
            aggregate_id=self.aggregate_id,
            request_id=self.request_id,
            payload=self.payload,
            traceparent=self.traceparent,
        ).to_dict()
