"""The transparency logs in the admin: read-only, as the logs are append-only."""

from __future__ import annotations

from django.contrib import admin

from careforall_common.admin import ReadOnlyAdmin
from transparency.models import Checkpoint, LogEntry, TransparencyLog


@admin.register(TransparencyLog)
class TransparencyLogAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "size", "total", "currency", "signed_size", "checkpoint_due"]
    list_filter = ["checkpoint_due"]


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "index", "kind", "amount", "currency", "occurred_at", "refers_to"]
    list_filter = ["kind"]
    search_fields = ["=campaign__id", "=commitment"]
    # The payment and refund ids stay internal: the commitment is what donors check.
    exclude = ["payment_id", "refund_id"]


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "tree_size", "total", "currency", "created_at"]
    exclude = ["root_hash"]
