"""Staff's view of pledges (SPEC §3): read-only, since every change here must come with an event.

Amounts and statuses move only through the API and the payment events, which also tell
campaign_service; an edit in the admin would silently split the read model from the pledges.
"""

from __future__ import annotations

from django.contrib import admin

from careforall_common.admin import ReadOnlyAdmin
from pledges.models import CampaignFacts, IdempotencyRecord, Pledge

# The receipt nonce, with the secret, makes the guest's token: never displayed.
PLEDGE_FIELDS = (
    "id",
    "campaign_id",
    "user_id",
    "donor_name",
    "donor_email",
    "anonymous",
    "amount",
    "currency",
    "status",
    "receipt_token_hash",
    "created_at",
    "updated_at",
)
RECORD_FIELDS = (
    "id",
    "scope",
    "key",
    "scoped_key_hash",
    "fingerprint",
    "pledge",
    "response_status",
    "response_body",
    "created_at",
)


@admin.register(Pledge)
class PledgeAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "campaign_id",
        "user_id",
        "donor_name",
        "anonymous",
        "amount",
        "currency",
        "status",
        "created_at",
    ]
    list_filter = ["status", "currency", "anonymous"]
    search_fields = ["=id", "=campaign_id", "=user_id", "donor_name", "donor_email"]
    ordering = ["-id"]
    fields = PLEDGE_FIELDS
    readonly_fields = PLEDGE_FIELDS
    show_full_result_count = False  # no COUNT(*) over the whole table on every page


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
    list_display = ["campaign_id", "status", "currency", "refreshed_at"]
    list_filter = ["status", "currency"]
    search_fields = ["=campaign_id"]
    ordering = ["campaign_id"]
