"""Staff's view of payments (SPEC §3): read-only, since only the provider moves money (§5.6).

Statuses move only through the provider's answers, which also tell pledge_service and
campaign_service; an edit here would split them. The one action asks the provider again now.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseBase
from django.urls import path
from django.utils import timezone

from careforall_common.admin import ReadOnlyAdmin, admin_link, csv_response
from careforall_common.money import money_format, money_plain
from careforall_common.timestamps import timestamp
from payments.models import IdempotencyRecord, Payment, PaymentStatus, ProviderEvent

PAYMENT_FIELDS = (
    "id",
    "pledge",
    "campaign",
    "user",
    "money",
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
        "pledge",
        "campaign",
        "money",
        "status",
        "provider_payment_id",
        "failure_reason",
        "created_at",
    ]
    list_filter = ["status", "currency"]
    search_fields = ["=id", "=pledge_id", "=campaign_id", "=user_id", "=provider_payment_id"]
    search_help_text = (
        "Payment id, pledge id, campaign id, user id or the provider's payment id "
        "(donor emails are in the pledges admin)."
    )
    ordering = ["-id"]
    fields = PAYMENT_FIELDS
    readonly_fields = PAYMENT_FIELDS
    actions = ["reconcile_now"]

    @admin.display(description="Amount", ordering="amount")
    def money(self, payment: Payment) -> str:
        return money_format(payment.amount, payment.currency)

    # The other services' admins, through the gateway (SPEC §3).
    @admin.display(description="Pledge", ordering="pledge_id")
    def pledge(self, payment: Payment) -> str:
        return admin_link("pledge", payment.pledge_id)

    @admin.display(description="Campaign", ordering="campaign_id")
    def campaign(self, payment: Payment) -> str:
        return admin_link("campaign", payment.campaign_id)

    @admin.display(description="Donor account", ordering="user_id")
    def user(self, payment: Payment) -> str:
        return admin_link("user", payment.user_id) if payment.user_id else "guest"

    def get_urls(self) -> list[Any]:
        export = path(
            "export.csv",
            self.admin_site.admin_view(self.export_csv),
            name="payments_payment_export_csv",
        )
        return [export, *super().get_urls()]

    def export_csv(self, request: HttpRequest) -> HttpResponseBase:
        """The payments the list shows (its search and filters) as CSV, streamed in chunks."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        queryset = self.get_changelist_instance(request).get_queryset(request)
        return csv_response(payment_rows(queryset), "payments.csv")

    @admin.action(description="Ask the provider about the selected payments now")
    def reconcile_now(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        # The reconciliation task (every few seconds) does the asking, forward only.
        due = queryset.filter(status__in=[PaymentStatus.PROCESSING, PaymentStatus.AUTHORIZED])
        count = due.update(reconcile_after=timezone.now())
        self.message_user(
            request, f"{count} payment(s) will be checked with the provider.", messages.SUCCESS
        )


PAYMENT_CSV_HEADER = [
    "payment_id",
    "created_at",
    "pledge_id",
    "campaign_id",
    "amount",
    "currency",
    "status",
    "provider_payment_id",
    "failure_reason",
]
EXPORT_CHUNK = 500  # payments read per query while the export streams


def payment_rows(queryset: QuerySet[Payment]) -> Iterator[list[Any]]:
    """The payments of ``queryset``, newest first, a chunk at a time (keyset on the id)."""
    yield PAYMENT_CSV_HEADER
    before: int | None = None
    columns = PAYMENT_CSV_HEADER[1:]
    while True:
        chunk = queryset.order_by("-id")
        if before is not None:
            chunk = chunk.filter(id__lt=before)
        rows = list(chunk.values_list("id", *columns)[:EXPORT_CHUNK])
        if not rows:
            return
        for row in rows:
            values = dict(zip(PAYMENT_CSV_HEADER, row, strict=True))
            values["created_at"] = timestamp(values["created_at"])
            values["amount"] = money_plain(values["amount"], values["currency"])
            values["provider_payment_id"] = values["provider_payment_id"] or ""
            yield list(values.values())
        before = rows[-1][0]


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
