"""The provider's webhook events, kept once per event id (SPEC §3).

The table was made by the ``payments`` app and keeps its name (``db_table``); the model moved
here with ``SeparateDatabaseAndState`` (``provider_events/migrations/0001_initial.py``).
"""

from __future__ import annotations

from django.db import models

from payments.models import EXACT, Payment


class ProviderEventResult(models.TextChoices):
    RECEIVED = "received"  # stored, not acted on yet: a redelivery acts on it
    PROCESSED = "processed"  # the payment moved
    NO_CHANGE = "no_change"  # the payment was there or beyond already
    UNKNOWN_INTENT = "unknown_intent"  # no payment here has this intent
    IGNORED = "ignored"  # a type that is not acted on


class ProviderEvent(models.Model):
    """A webhook event as the provider signed it, kept once per event id (SPEC §3)."""

    event_id = models.CharField(max_length=255, unique=True, db_collation=EXACT)
    event_type = models.CharField(max_length=100)
    intent_id = models.CharField(
        max_length=255, null=True, blank=True, db_index=True, db_collation=EXACT
    )
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="provider_events"
    )
    payload = models.JSONField()
    result = models.CharField(
        max_length=16, choices=ProviderEventResult.choices, default=ProviderEventResult.RECEIVED
    )
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "payments_providerevent"  # made by the payments app (see refunds.models)

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"
