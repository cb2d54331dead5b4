"""Staff's view of pledges (SPEC §3): read-only, since every change here must come with an event.

Amounts and statuses move only through the API and the payment events, which also tell
campaign_service; an edit in the admin would silently split the read model from the pledges.
"""

from __future__ import annotations

from django.contrib import admin

from careforall_common.admin import IDEMPOTENCY_RECORD_FIELDS, ReadOnlyAdmin, admin_link
from careforall_common.money import money_format
from pledges.models import CampaignFacts, IdempotencyRecord, Pledge

# The receipt nonce, with the secret, makes the guest's token: never displayed.
PLEDGE_FIELDS = (
    "id",
    "campaign",
    "user",
    "payment",
    "plan_id",
    "donor_name",
    "donor_email",
    "anonymous",
    "money",
    "currency",
    "status",
    "refunded",
    "receipt_token_hash",
    "created_at",
    "updated_at",
)
RECORD_FIELDS = (
    *IDEMPOTENCY_RECORD_FIELDS,
    "pledge",
    "response_status",
    "response_body",
    "created_at",
)


@admin.register(Pledge)
class PledgeAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "campaign",
        "user",
        "donor_name",
        "donor_email",
        "anonymous",
        "money",
        "status",
        "refunded",
        "payment",
        "created_at",
    ]
    list_filter = ["status", "currency", "anonymous"]
    search_fields = ["=id", "=campaign_id", "=user_id", "donor_name", "donor_email"]
    search_help_text = "Pledge id, campaign id, user id, donor name or email."
    ordering = ["-id"]
    fields = PLEDGE_FIELDS
    readonly_fields = PLEDGE_FIELDS
    show_full_result_count = False  # no COUNT(*) over the whole table on every page

    @admin.display(description="Amount", ordering="amount")
    def money(self, pledge: Pledge) -> str:
        return money_format(pledge.amount, pledge.currency)

    @admin.display(description="Refunded", ordering="refunded_amount")
    def refunded(self, pledge: Pledge) -> str:
        return money_format(pledge.refunded_amount, pledge.currency)

    # The other services' admins, through the gateway (one payment per pledge, SPEC §3).
    @admin.display(description="Campaign", ordering="campaign_id")
    def campaign(self, pledge: Pledge) -> str:
        return admin_link("campaign", pledge.campaign_id)

    @admin.display(description="Donor account", ordering="user_id")
    def user(self, pledge: Pledge) -> str:
        return admin_link("user", pledge.user_id) if pledge.user_id else "guest"

    @admin.display(description="Payment")
    def payment(self, pledge: Pledge) -> str:
        return admin_link("payment", None, "payment", pledge_id=pledge.pk)


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["id", "scope", "key", "pledge_id", "response_status", "created_at"]
    list_filter = ["response_status"]
    search_fields = ["=key", "=scope", "=pledge__id"]
    ordering = ["-id"]
    fields = RECORD_FIELDS
    readonly_fields = RECORD_FIELDS
    show_full_result_count = False


@admin.register(CampaignFacts)
class CampaignFactsAdmin(ReadOnlyAdmin):
    list_display = ["campaign_id", "campaign", "status", "currency", "refreshed_at"]
    list_filter = ["status", "currency"]
    search_fields = ["=campaign_id"]
    ordering = ["campaign_id"]

    @admin.display(description="In the campaigns admin")
    def campaign(self, facts: CampaignFacts) -> str:
        return admin_link("campaign", facts.campaign_id)
