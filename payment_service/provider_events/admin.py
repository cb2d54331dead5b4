"""Staff's view of the provider's webhook events: read-only, as the provider signed them."""

from __future__ import annotations

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
    "payload",
)


@admin.register(ProviderEvent)
class ProviderEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "event_id", "event_type", "intent_id", "payment_id", "result"]
    list_filter = ["result", "event_type"]
    search_fields = ["=event_id", "=intent_id", "=payment__id"]
    ordering = ["-id"]
    fields = EVENT_FIELDS
    readonly_fields = EVENT_FIELDS
