from django.contrib import admin
from django.http import HttpRequest

from careforall_common.inbox.models import ProcessedEvent


@admin.register(ProcessedEvent)
class ProcessedEventAdmin(admin.ModelAdmin[ProcessedEvent]):
    list_display = ["event_id", "event_type", "source", "processed_at"]
    list_filter = ["event_type", "source"]
    search_fields = ["event_id"]
    readonly_fields = ["event_id", "event_type", "source", "processed_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
