from __future__ import annotations

from typing import Any, NoReturn

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import F, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from rest_framework import serializers

from campaigns.admin_records import (
    PaymentEventAdmin,
    PlanProjectionAdmin,
    PledgeProjectionAdmin,
    RefundProjectionAdmin,
    donation_page,
)
from campaigns.exports import donation_rows
from campaigns.models import (
    MAX_DESCRIPTION_LENGTH,
    Campaign,
    CampaignStatus,
    PaymentEvent,
    PlanProjection,
    PledgeProjection,
    RefundProjection,
)
from campaigns.services import (
    EDITABLE_FIELDS,
    campaign_change_check,
    campaign_create,
    campaign_delete,
    campaign_start_refusal,
    campaign_update,
)
from careforall_common.admin import csv_response
from careforall_common.money import MajorUnitsField, MoneyFormMixin, money_format
from careforall_common.problems import Problem


def _money(field: str, description: str) -> Any:
    """A read-only column or field showing ``field`` in the campaign's currency, sortable."""

    @admin.display(description=description, ordering=field)
    def show(self: Any, obj: Campaign) -> str:
        return money_format(getattr(obj, field), obj.currency)

    return show


def _refusal(error: Problem | serializers.ValidationError) -> str:
    """A service's refusal as one line for staff."""
    if isinstance(error, Problem):
        return str(error.detail)
    detail: Any = error.detail
    refusals = detail.values() if isinstance(detail, dict) else [detail]
    return " ".join(str(item) for refusal in refusals for item in refusal)


class CampaignForm(MoneyFormMixin, forms.ModelForm):
    # Strings are kept verbatim (SPEC §2), here as in the API.
    title = forms.CharField(max_length=200, strip=False)
    description = forms.CharField(
        max_length=MAX_DESCRIPTION_LENGTH, required=False, strip=False, widget=forms.Textarea
    )
    # Typed in major units (50,000.00), stored as exact integer minor units (SPEC §2).
    goal_amount = MajorUnitsField(label="Goal")
    money_fields = {"goal_amount": "currency"}

    class Meta:
        model = Campaign
        fields = EDITABLE_FIELDS

    def clean(self) -> dict[str, Any]:
        """The service's refusals as form errors, before anything is saved (SPEC §3).

        The rules are the service's own; a currency change also asks pledge_service whether
        the campaign has pledges. ``CampaignAdmin.save_model`` writes through the service, which
        decides again under pledge_service's hold.
        """
        cleaned = super().clean()
        status, currency = cleaned.get("status"), cleaned.get("currency")
        if self.errors or not status or not currency:
            return cleaned
        if self.instance.pk is None:
            refusal = campaign_start_refusal(status=status)
            if refusal is not None:
                self.add_error("status", refusal)
            return cleaned
        try:
            campaign_change_check(campaign=self.instance, status=status, currency=currency)
        except Problem as problem:
            raise forms.ValidationError(str(problem.detail)) from None
        return cleaned


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignForm
    list_display = [
        "id",
        "title",
        "status",
        "goal",
        "raised",
        "refunded",
        "pending",
        "progress",
        "total_pledges",
        "total_payments",
        "created_at",
    ]
    list_filter = ["status", "currency"]
    search_fields = ["title", "=id", "=pledges__pledge_id"]
    search_help_text = "Title, campaign id or pledge id."
    ordering = ["-id"]
    actions = ["activate_campaigns", "close_campaigns"]
    money_read_only = ["raised", "pending", "authorized", "captured", "failed", "refunded"]
    # The buckets and counters belong to the event projector (SPEC §4).
    readonly_fields = [
        *money_read_only,
        "progress",
        "total_pledges",
        "total_payments",
        "active_plans",
        "monthly_recurring",
        "donations",
        "created_at",
        "updated_at",
    ]
    fields = [*EDITABLE_FIELDS, *readonly_fields]

    goal = _money("goal_amount", "Goal")
    refunded = _money("refunded_amount", "Refunded")
    pending = _money("pending_amount", "Pending")
    authorized = _money("authorized_amount", "Authorized")
    captured = _money("captured_amount", "Captured")
    failed = _money("failed_amount", "Failed")
    monthly_recurring = _money("monthly_recurring_amount", "Monthly recurring")

    @admin.display(description="Raised", ordering=F("captured_amount") - F("refunded_amount"))
    def raised(self, obj: Campaign) -> str:
        """``current_amount`` (SPEC §3): captured less refunded."""
        return money_format(obj.current_amount, obj.currency)

    @admin.display(
        description="Progress",
        ordering=(F("captured_amount") - F("refunded_amount")) * 10_000 / F("goal_amount"),
    )
    def progress(self, obj: Campaign) -> str:
        """Raised as a share of the goal, in whole percent rounded down (integers only)."""
        if not obj.goal_amount:
            return "-"
        return f"{obj.current_amount * 100 // obj.goal_amount}%"

    @admin.display(description="Donations")
    def donations(self, obj: Campaign) -> SafeString | str:
        """Links to all the campaign's donations, its payment events, and their export."""
        if obj.pk is None:
            return "-"
        return format_html(
            '<a href="{}?campaign__id__exact={}">All {} donation(s)</a> · '
            '<a href="{}?campaign__id__exact={}">Payment events</a> · '
            '<a href="{}">Export as CSV</a>',
            reverse("admin:campaigns_pledgeprojection_changelist"),
            obj.pk,
            obj.total_pledges,
            reverse("admin:campaigns_paymentevent_changelist"),
            obj.pk,
            reverse("admin:campaigns_campaign_donations_csv", args=[obj.pk]),
        )

    def get_urls(self) -> list[Any]:
        export = path(
            "<int:object_id>/donations.csv",
            self.admin_site.admin_view(self.donations_csv),
            name="campaigns_campaign_donations_csv",
        )
        return [export, *super().get_urls()]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context = {**(extra_context or {}), **donation_page(request, object_id)}
        return super().change_view(request, object_id, form_url, context)

    def donations_csv(self, request: HttpRequest, object_id: int) -> HttpResponseBase:
        """The campaign's donations as CSV, streamed in chunks: flat memory at any size."""
        campaign = Campaign.objects.filter(pk=object_id).first()
        if campaign is None:
            raise Http404("No campaign with this id.")
        if not self.has_view_permission(request, campaign):
            raise PermissionDenied
        return csv_response(donation_rows(campaign.pk), f"campaign-{campaign.pk}-donations.csv")

    @admin.action(description="Activate the selected campaigns", permissions=["change"])
    def activate_campaigns(
        self, request: HttpRequest, queryset: QuerySet[Campaign]
    ) -> HttpResponse | None:
        return self._status_action(request, queryset, CampaignStatus.ACTIVE, "activate")

    @admin.action(description="Close the selected campaigns", permissions=["change"])
    def close_campaigns(
        self, request: HttpRequest, queryset: QuerySet[Campaign]
    ) -> HttpResponse | None:
        return self._status_action(request, queryset, CampaignStatus.CLOSED, "close")

    def _status_action(
        self, request: HttpRequest, queryset: QuerySet[Campaign], status: str, verb: str
    ) -> HttpResponse | None:
        """Ask for confirmation, then move each campaign through the API's service (SPEC §3)."""
        campaigns = list(queryset.order_by("pk"))
        if request.POST.get("post") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": f"Are you sure you want to {verb} these campaigns?",
                "opts": self.model._meta,
                "campaigns": campaigns,
                "status": status,
                "verb": verb,
                "action": request.POST.get("action", ""),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            template = "admin/campaigns/campaign/status_confirmation.html"
            return TemplateResponse(request, template, context)
        moved = 0
        for campaign in (c for c in campaigns if c.status != status):
            try:
                changed = campaign_update(campaign_id=campaign.pk, status=status)
            except Problem as problem:
                message = f"#{campaign.pk} {campaign}: {problem.detail}"
                self.message_user(request, message, messages.ERROR)
                continue
            self.log_change(request, changed, f"Status changed to {status}.")
            moved += 1
        self.message_user(request, f"{moved} campaign(s) now {status}.", messages.SUCCESS)
        return None

    def save_model(self, request: HttpRequest, obj: Campaign, form: Any, change: bool) -> None:
        """Write through the API's services: its rules, ``CAMPAIGN_CHANGED`` and the cache.

        The form showed every refusal it could foresee; one that comes only now (a pledge made
        since) is refused as a deletion is, and Django's transaction keeps nothing.
        """
        data = {field: form.cleaned_data[field] for field in EDITABLE_FIELDS}
        try:
            saved = (
                campaign_update(campaign_id=obj.pk, **data) if change else campaign_create(**data)
            )
        except (Problem, serializers.ValidationError) as error:
            self._refused(request, _refusal(error))
        for field in Campaign._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))

    def has_delete_permission(self, request: HttpRequest, obj: Campaign | None = None) -> bool:
        # A campaign with pledges stays (SPEC §3); the bulk action asks per object too.
        if obj is not None and obj.total_pledges:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: Campaign) -> None:
        self.delete_queryset(request, Campaign.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        # Through the service, as the API: decided on pledge_service's pledges (SPEC §3).
        for campaign_id in queryset.order_by("pk").values_list("pk", flat=True):
            try:
                campaign_delete(campaign_id=campaign_id)
            except Problem as problem:
                self._refused(request, str(problem.detail))

    def _refused(self, request: HttpRequest, refusal: str) -> NoReturn:
        """Refuse the write (403, Django's transaction rolls back) and say why on the next page."""
        self.message_user(request, refusal, messages.ERROR)
        raise PermissionDenied(refusal)


# The read model's rows, read only: the projector writes them (SPEC §4).
admin.site.register(PledgeProjection, PledgeProjectionAdmin)
admin.site.register(PaymentEvent, PaymentEventAdmin)
admin.site.register(RefundProjection, RefundProjectionAdmin)
admin.site.register(PlanProjection, PlanProjectionAdmin)
