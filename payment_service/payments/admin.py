"""Staff's view of payments (SPEC §3): read-only, since only the provider moves money (§5.6).

Statuses move only through the provider's answers, which also tell pledge_service and
campaign_service; an edit here would split them. One action asks the provider again now; the
other refunds a captured payment (``refunds.admin_refund``). A payment's refunds and disputes
are shown on its page (``refunds.admin``), never edited.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone

from careforall_common.admin import (
    IDEMPOTENCY_RECORD_FIELDS,
    ReadOnlyAdmin,
    admin_link,
    csv_response,
)
from careforall_common.contracts.statuses import PaymentStatus
from careforall_common.money import money_format, money_plain
from careforall_common.timestamps import timestamp
from payments.models import IdempotencyRecord, Payment
from refunds.admin import DisputedFilter, DisputeInline, RefundInline
from refunds.admin_refund import PaymentRefundAdminMixin
from refunds.models import Dispute
from refunds.selectors import refundable_amount

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
    "refunded",
    "card_brand",
    "card_last4",
    "reconcile_after",
    "created_at",
    "updated_at",
)
RECORD_FIELDS = (
    *IDEMPOTENCY_RECORD_FIELDS,
    "payment",
    "answered",
    "response_status",
    "answer",
    "created_at",
)


@admin.register(Payment)
class PaymentAdmin(PaymentRefundAdminMixin, ReadOnlyAdmin):
    list_display = [
        "id",
        "pledge",
        "campaign",
        "money",
        "refunded",
        "status",
        "disputed",
        "provider_payment_id",
        "failure_reason",
        "created_at",
    ]
    list_filter = ["status", DisputedFilter, "currency"]
    search_fields = ["=id", "=pledge_id", "=campaign_id", "=user_id", "=provider_payment_id"]
    search_help_text = (
        "Payment id, pledge id, campaign id, user id or the provider's payment id "
        "(donor emails are in the pledges admin)."
    )
    ordering = ["-id"]
    fields = PAYMENT_FIELDS
    readonly_fields = PAYMENT_FIELDS
    inlines = [RefundInline, DisputeInline]
    actions = ["reconcile_now", "refund"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Payment]:
        disputed = Exists(Dispute.objects.filter(payment=OuterRef("pk")))
        return super().get_queryset(request).annotate(is_disputed=disputed)

    @admin.display(description="Amount", ordering="amount")
    def money(self, payment: Payment) -> str:
        return money_format(payment.amount, payment.currency)

    @admin.display(description="Refunded", ordering="refunded_amount")
    def refunded(self, payment: Payment) -> str:
        return money_format(payment.refunded_amount, payment.currency)

    @admin.display(description="Disputed", boolean=True, ordering="is_disputed")
    def disputed(self, payment: Payment) -> bool:
        return bool(getattr(payment, "is_disputed", False))

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
        refund = path(
            "<int:object_id>/refund/",
            self.admin_site.admin_view(self.refund_view),
            name="payments_payment_refund",
        )
        return [export, refund, *super().get_urls()]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        found = Payment.objects.filter(pk=object_id).first() if object_id.isdigit() else None
        refundable = found is not None and refundable_amount(payment=found) > 0
        context = {**(extra_context or {}), "refundable": refundable}
        return super().change_view(request, object_id, form_url, extra_context=context)

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

    @admin.action(description="Refund the selected payment (one at a time)")
    def refund(self, request: HttpRequest, queryset: QuerySet[Payment]) -> HttpResponseBase | None:
        chosen = list(queryset.values_list("pk", flat=True)[:2])
        if len(chosen) != 1:
            self.message_user(request, "Select one payment to refund.", messages.WARNING)
            return None
        return HttpResponseRedirect(reverse("admin:payments_payment_refund", args=[chosen[0]]))


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
    "refunded_amount",
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
            values["refunded_amount"] = money_plain(values["refunded_amount"], values["currency"])
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
