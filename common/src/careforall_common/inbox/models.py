from __future__ import annotations

from django.db import models


class ProcessedEvent(models.Model):
    """An event this service has applied; its unique id makes a redelivery change nothing."""

    event_id = models.UUIDField(unique=True)
    event_type = models.CharField(max_length=64)
    source = models.CharField(max_length=32)
    processed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"
