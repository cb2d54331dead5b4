"""Staff's view of refunds and disputes (SPEC §3): shown, never edited; money moves only
through ``refunds.services``. The inlines and the "disputed" filter serve the payment's page."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest

from careforall_common.admin import ReadOnlyAdmin, admin_link
from careforall_common.money import money_format
from payments.models import Payment
from refunds.models import Dispute, Refund, RefundStatus

REFUND_FIELDS = (
    "id",
    "money",
    "status",
    "source",
    "reason",
    "failure_reason",
    "failed_after_success_at",
    "provider_refund_id",
    "requested_by_link",
    "created_at",
    "updated_at",
)
DISPUTE_FIELDS = (
    "id",
    "provider_dispute_id",
    "money",
    "status",
    "reason",
    "opened_at",
    "closed_at",
)


class ReadOnlyInline(admin.TabularInline[Any, Any]):
    """Rows of a payment that only the platform writes: shown on its page, never edited."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Amount", ordering="amount")
    def money(self, row: Refund | Dispute) -> str:
        return money_format(row.amount, row.currency)


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = REFUND_FIELDS
    readonly_fields = REFUND_FIELDS
    ordering = ["id"]
    verbose_name_plural = "Refunds"

    @admin.display(description="Requested by (platform user)")
    def requested_by_link(self, refund: Refund) -> str:
        return admin_link("user", refund.requested_by) if refund.requested_by else "-"


class DisputeInline(ReadOnlyInline):
    model = Dispute
    fields = DISPUTE_FIELDS
    readonly_fields = DISPUTE_FIELDS
    ordering = ["id"]
    verbose_name_plural = "Disputes"


class FailedLaterFilter(admin.SimpleListFilter):
    title = "failed after it succeeded"
    parameter_name = "failed_later"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Yes")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Refund]) -> QuerySet[Refund]:
        if self.value() == "yes":
            return queryset.filter(failed_after_success_at__isnull=False)
        return queryset


class DisputedFilter(admin.SimpleListFilter):
    title = "disputed"
    parameter_name = "disputed"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Payment]) -> QuerySet[Payment]:
        disputed = Exists(Dispute.objects.filter(payment=OuterRef("pk")))
        if self.value() == "yes":
            return queryset.filter(disputed)
        if self.value() == "no":
            return queryset.exclude(disputed)
        return queryset


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "payment_link",
        "money",
        "status",
        "source",
        "reason",
        "provider_refund_id",
        "failed_later",
        "created_at",
    ]
    list_filter = ["status", "source", FailedLaterFilter, "currency"]
    search_fields = ["=id", "=payment__id", "=provider_refund_id"]
    search_help_text = "Refund id, payment id or the provider's refund id."
    ordering = ["-id"]
    fields = ("payment_link", *REFUND_FIELDS, "failed_later")
    readonly_fields = ("payment_link", *REFUND_FIELDS, "failed_later")

    @admin.display(description="Payment", ordering="payment_id")
    def payment_link(self, refund: Refund) -> str:
        return admin_link("payment", refund.payment_id)

    @admin.display(description="Amount", ordering="amount")
    def money(self, refund: Refund) -> str:
        return money_format(refund.amount, refund.currency)

    @admin.display(description="Requested by (platform user)")
    def requested_by_link(self, refund: Refund) -> str:
        return admin_link("user", refund.requested_by) if refund.requested_by else "-"

    @admin.display(description="Failed at the provider after it succeeded")
    def failed_later(self, refund: Refund) -> str:
        """Staff's cue: un-counted (a partial refund), or still counted on a payment REFUNDED in
        full, whose donor did not get the money back (docs/payments.md)."""
        if refund.failed_after_success_at is None:
            return "-"
        if refund.status == RefundStatus.SUCCEEDED:
            return "yes: still counted, the payment stays REFUNDED; settle it with the donor"
        return "yes: un-counted"


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "payment_link",
        "money",
        "status",
        "reason",
        "provider_dispute_id",
        "opened_at",
        "closed_at",
    ]
    list_filter = ["status", "currency"]
    search_fields = ["=id", "=payment__id", "=provider_dispute_id"]
    search_help_text = "Dispute id, payment id or the provider's dispute id."
    ordering = ["-id"]
    fields = ("payment_link", *DISPUTE_FIELDS)
    readonly_fields = ("payment_link", *DISPUTE_FIELDS)

    @admin.display(description="Payment", ordering="payment_id")
    def payment_link(self, dispute: Dispute) -> str:
        return admin_link("payment", dispute.payment_id)

    @admin.display(description="Amount", ordering="amount")
    def money(self, dispute: Dispute) -> str:
        return money_format(dispute.amount, dispute.currency)
