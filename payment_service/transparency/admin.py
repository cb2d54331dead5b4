from __future__ import annotations

from django.contrib import admin

from careforall_common.admin import ReadOnlyAdmin
from transparency.models import CaptureCommitment


@admin.register(CaptureCommitment)
class CaptureCommitmentAdmin(ReadOnlyAdmin):
    # Staff never see the salt (SPEC §3): the commitment is public anyway.
    list_display = ["payment", "campaign_id", "index", "created_at", "logged_at"]
    exclude = ["salt"]
