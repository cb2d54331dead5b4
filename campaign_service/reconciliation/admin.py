from __future__ import annotations

from django.contrib import admin

from careforall_common.admin import ReadOnlyAdmin
from reconciliation.models import ReconciliationRun


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    """Every run of ``manage.py reconcile``, newest first; nobody edits the record."""

    list_display = [
        "finished_at",
        "trigger",
        "fix",
        "campaigns_checked",
        "differences",
        "unrepaired",
        "summary",
    ]
    list_filter = ["trigger", "fix"]
    ordering = ["-finished_at", "-pk"]
