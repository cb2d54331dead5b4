"""Staff's view of recurring plans (SPEC §3): read-only, with a cancel action.

A plan changes only through its services (each change publishes ``PLAN_CHANGED``), so the one
write here, cancelling, goes through ``plan_cancel`` as the API's does.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from careforall_common.admin import ReadOnlyAdmin, admin_link
from careforall_common.contracts.plans import plan_monthly_amount
from careforall_common.money import money_format
from plans.models import CancelReason, Installment, PlanIdempotencyRecord, RecurringPlan
from plans.services.changes import plan_cancel

# The manage nonce, with the secret, makes the guest's token: never displayed.
PLAN_FIELDS = (
    "id",
    "campaign",
    "user",
    "donor_name",
    "donor_email",
    "anonymous",
    "money",
    "currency",
    "interval",
    "status",
    "cancel_reason",
    "anchor_at",
    "next_period",
    "next_attempt",
    "next_charge_at",
    "paused_until",
    "declined_at",
    "card_brand",
    "card_last4",
    "installments_charged",
    "failed_attempts",
    "created_at",
    "updated_at",
)
INSTALLMENT_FIELDS = (
    "period",
    "attempt",
    "status",
    "due_at",
    "money",
    "pledge",
    "payment",
    "error",
)


class InstallmentInline(admin.TabularInline[Installment, RecurringPlan]):
    model = Installment
    fields = INSTALLMENT_FIELDS
    readonly_fields = INSTALLMENT_FIELDS
    ordering = ["-period", "-attempt"]
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="Amount")
    def money(self, installment: Installment) -> str:
        if installment.amount is None:
            return "-"
        return money_format(installment.amount, installment.plan.currency)

    @admin.display(description="Pledge")
    def pledge(self, installment: Installment) -> str:
        return admin_link("pledge", installment.pledge_id)

    @admin.display(description="Payment")
    def payment(self, installment: Installment) -> str:
        if installment.pledge_id is None:
            return "-"
        return admin_link("payment", None, "payment", pledge_id=installment.pledge_id)


@admin.register(RecurringPlan)
class RecurringPlanAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "campaign",
        "donor_name",
        "donor_email",
        "money",
        "interval",
        "status",
        "monthly",
        "next_charge_at",
        "failed_attempts",
        "installments_charged",
        "created_at",
    ]
    list_filter = ["status", "interval", "campaign_id"]
    search_fields = ["=id", "=campaign_id", "=user_id", "donor_name", "donor_email"]
    search_help_text = "Plan id, campaign id, user id, donor name or email."
    ordering = ["-id"]
    fields = PLAN_FIELDS
    readonly_fields = PLAN_FIELDS
    inlines = [InstallmentInline]
    actions = ["cancel_plans"]

    @admin.display(description="Amount", ordering="amount")
    def money(self, plan: RecurringPlan) -> str:
        return money_format(plan.amount, plan.currency)

    @admin.display(description="Counted monthly")
    def monthly(self, plan: RecurringPlan) -> str:
        """What the plan adds to its campaign's ``monthly_recurring_amount`` (the shared rule)."""
        amount = plan_monthly_amount(status=plan.status, amount=plan.amount, interval=plan.interval)
        return money_format(amount, plan.currency)

    @admin.display(description="Campaign", ordering="campaign_id")
    def campaign(self, plan: RecurringPlan) -> str:
        return admin_link("campaign", plan.campaign_id)

    @admin.display(description="Donor account", ordering="user_id")
    def user(self, plan: RecurringPlan) -> str:
        return admin_link("user", plan.user_id) if plan.user_id else "guest"

    @admin.action(description="Cancel the selected plans (nothing more is charged)")
    def cancel_plans(self, request: HttpRequest, queryset: QuerySet[RecurringPlan]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        for plan_id in ids:
            plan_cancel(plan_id=plan_id, reason=CancelReason.STAFF)
        self.message_user(request, f"{len(ids)} plan(s) canceled.", messages.SUCCESS)


@admin.register(PlanIdempotencyRecord)
class PlanIdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["id", "scope", "key", "plan_id", "answered", "response_status", "created_at"]
    list_filter = ["answered"]
    search_fields = ["=key", "=scope", "=plan__id"]
    ordering = ["-id"]
