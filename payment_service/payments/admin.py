"""Staff's view of payments (SPEC §3): read-only, since only the provider moves money (§5.6).

Statuses move only through the provider's answers, which also tell pledge_service and
campaign_service; an edit here would split them. The one action asks the provider again now.
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from careforall_common.admin import ReadOnlyAdmin
from payments.models import IdempotencyRecord, Payment, PaymentStatus, ProviderEvent

PAYMENT_FIELDS = (
    "id",
    "pledge_id",
    "campaign_id",
    "user_id",
    "amount",
    "currency",
    "status",
    "payment_method",
    "provider_payment_id",
    "failure_reason",
    "card_brand",
    "card_last4",
    "reconcile_after",
    "created_at",
    "updated_at",
)
RECORD_FIELDS = (
    "id",
    "scope",
    "key",
    "scoped_key_hash",
    "fingerprint",
    "payment",
    "answered",
    "response_status",
    "answer",
    "created_at",
)
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


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "pledge_id",
        "campaign_id",
        "amount",
        "currency",
        "status",
        "provider_payment_id",
        "failure_reason",
        "created_at",
    ]
    list_filter = ["status", "currency"]
    search_fields = ["=id", "=pledge_id", "=campaign_id", "=user_id", "=provider_payment_id"]
    ordering = ["-id"]
    fields = PAYMENT_FIELDS
    readonly_fields = PAYMENT_FIELDS
    actions = ["reconcile_now"]

    @admin.action(description="Ask the provider about the selected payments now")
    def reconcile_now(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        # The reconciliation task (every few seconds) does the asking, forward only.
        due = queryset.filter(status__in=[PaymentStatus.PROCESSING, PaymentStatus.AUTHORIZED])
        count = due.update(reconcile_after=timezone.now())
        self.message_user(
            request, f"{count} payment(s) will be checked with the provider.", messages.SUCCESS
        )


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["id", "scope", "key", "payment_id", "answered", "created_at"]
    list_filter = ["answered"]
    search_fields = ["=key", "=scope", "=payment__id"]
    ordering = ["-id"]
    fields = RECORD_FIELDS
    readonly_fields = RECORD_FIELDS

    @admin.display(description="response body")
    def answer(self, record: IdempotencyRecord) -> str:
        """The answer, without the client secret: it was for the donor's browser only."""
        body = dict(record.response_body or {})
        if "client_secret" in body:
            body["client_secret"] = "(hidden)"  # noqa: S105 (a placeholder, not a secret)
        return json.dumps(body, indent=1)


@admin.register(ProviderEvent)
class ProviderEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "event_id", "event_type", "intent_id", "payment_id", "result"]
    list_filter = ["result", "event_type"]
    search_fields = ["=event_id", "=intent_id", "=payment__id"]
    ordering = ["-id"]
    fields = EVENT_FIELDS
    readonly_fields = EVENT_FIELDS
