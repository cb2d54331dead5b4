from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.http import HttpRequest
from django.template.response import TemplateResponse

from dashboard.selectors import dashboard_figures


class CampaignAdminSite(AdminSite):
    """The platform's main admin (SPEC §3); its index is the staff dashboard (issue 15)."""

    site_header = "CareForAll"
    site_title = "CareForAll admin"
    index_title = "Staff dashboard"
    index_template = "admin/dashboard.html"

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        return super().index(request, {**dashboard_figures(), **(extra_context or {})})
