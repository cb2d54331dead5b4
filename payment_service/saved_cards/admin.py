"""Staff's view of plans' saved cards: the provider's ids, brand and last four; read-only (only
the provider's reports change them, docs/recurring.md)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from careforall_common.admin import ADMIN_ROOTS, ReadOnlyAdmin
from saved_cards.models import PlanCard

# The plan's page in pledge_service's admin (through the gateway).
PLAN_PAGE = ADMIN_ROOTS["pledge"] + "plans/recurringplan/{}/change/"


@admin.register(PlanCard)
class PlanCardAdmin(ReadOnlyAdmin):
    list_display = ("plan", "customer", "payment_method", "card_brand", "card_last4", "updated_at")
    list_filter = ("card_brand",)
    search_fields = ("=plan_id", "=customer", "=payment_method")
    fields = (
        "plan",
        "customer",
        "payment_method",
        "card_brand",
        "card_last4",
        "card_fingerprint",
        "saved_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    ordering = ("-updated_at",)

    @admin.display(description="plan", ordering="plan_id")
    def plan(self, card: PlanCard) -> str:
        return format_html(
            '<a href="{}">#{}</a>', PLAN_PAGE.format(int(card.plan_id)), card.plan_id
        )
