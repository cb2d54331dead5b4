from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from careforall_common.outbox.models import OutboxEvent, OutboxStatus
from careforall_common.outbox.relay import outbox_replay


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin[OutboxEvent]):
    """Events to deliver; dead letters (status ``dead``) can be replayed."""

    list_display = [
        "id",
        "event_type",
        "aggregate_type",
        "aggregate_id",
        "destination",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    ]
    list_filter = ["status", "destination", "event_type"]
    search_fields = ["event_id", "aggregate_id"]
    ordering = ["-id"]
    actions = ["replay"]
    readonly_fields = [field.name for field in OutboxEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OutboxEvent | None = None) -> bool:
        return False  # nothing a donor gave is ever dropped

    @admin.action(description="Replay the selected dead letters")
    def replay(self, request: HttpRequest, queryset: QuerySet[OutboxEvent]) -> None:
        ids = list(queryset.filter(status=OutboxStatus.DEAD).values_list("pk", flat=True))
        revived = outbox_replay(ids=ids)
        self.message_user(
            request, f"{revived} event(s) queued for delivery again.", messages.SUCCESS
        )
