"""Staff's view of the provider's webhook events: read-only, as the provider signed them, less
the client secrets (SPEC §5.9: only the donor's browser ever needs one)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin

from careforall_common.admin import ReadOnlyAdmin
from provider_events.models import ProviderEvent

EVENT_FIELDS = (
    "id",
    "event_id",
    "event_type",
    "intent_id",
    "payment",
    "result",
    "received_at",
    "processed_at",
    "payload_shown",
)
HIDDEN = "(hidden)"
SECRET_KEYS = frozenset({"client_secret"})


def secrets_hidden(value: Any) -> Any:
    """``value`` with every member named ``client_secret``, at any depth, replaced."""
    if isinstance(value, dict):
        return {
            key: HIDDEN if key in SECRET_KEYS else secrets_hidden(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [secrets_hidden(item) for item in value]
    return value


@admin.register(ProviderEvent)
class ProviderEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "event_id", "event_type", "intent_id", "payment_id", "result"]
    list_filter = ["result", "event_type"]
    search_fields = ["=event_id", "=intent_id", "=payment__id"]
    ordering = ["-id"]
    fields = EVENT_FIELDS
    readonly_fields = EVENT_FIELDS

    @admin.display(description="payload")
    def payload_shown(self, event: ProviderEvent) -> str:
        """The stored event as the provider sent it, its client secrets hidden."""
        return json.dumps(secrets_hidden(event.payload), indent=1)
