from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from campaigns.clients.pledges import campaign_hold, campaign_release
from campaigns.events import PUBLISHED_FIELDS, campaign_changed
from campaigns.models import (
    MAX_DESCRIPTION_LENGTH,
    READ_MODEL_FIELDS,
    Campaign,
    CampaignStatus,
    PaymentEvent,
    PledgeProjection,
)
from campaigns.services import (
    CURRENCY_REFUSAL,
    EDITABLE_FIELDS,
    campaign_change_refusal,
    campaign_delete,
)
from careforall_common.admin import ReadOnlyAdmin
from careforall_common.problems import Problem

LATEST_DONATIONS = 10  # shown on a campaign's page; the rest are a click away


class CampaignForm(forms.ModelForm):
    # Strings are kept verbatim (SPEC §2), here as in the API.
    title = forms.CharField(max_length=200, strip=False)
    description = forms.CharField(
        max_length=MAX_DESCRIPTION_LENGTH, required=False, strip=False, widget=forms.Textarea
    )

    class Meta:
        model = Campaign
        fields = EDITABLE_FIELDS

    def clean(self) -> dict[str, Any]:
        """Apply the API's rules to status and currency edits (SPEC §3).

        The admin validates and saves inside one transaction, so the row lock taken here holds
        until the save commits.
        """
        cleaned = super().clean() or {}
        if self.instance.pk is None:
            if cleaned.get("status") == CampaignStatus.CLOSED:
                self.add_error("status", "A campaign starts as a draft or active.")
            return cleaned
        current = Campaign.objects.select_for_update().filter(pk=self.instance.pk).first()
        if current is None:
            raise forms.ValidationError("This campaign no longer exists.")
        refusal = campaign_change_refusal(
            campaign=current, status=cleaned.get("status"), currency=cleaned.get("currency")
        )
        if refusal is not None:
            raise forms.ValidationError(refusal)
        currency = cleaned.get("currency")
        if currency is not None and currency != current.currency:
            # Decided on pledge_service's pledges, as in the API (SPEC §3); released with the
            # new facts once the admin's transaction commits (or ends by itself after 30 s).
            try:
                campaign_hold(campaign_id=current.pk, refusal=CURRENCY_REFUSAL)
            except Problem as problem:
                raise forms.ValidationError(str(problem.detail)) from None
            status = cleaned.get("status") or current.status
            transaction.on_commit(
                lambda: campaign_release(campaign_id=current.pk, status=status, currency=currency)
            )
        return cleaned


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignForm
    list_display = [
        "id",
        "title",
        "status",
        "currency",
        "goal_amount",
        "captured_amount",
        "total_pledges",
        "created_at",
    ]
    list_filter = ["status", "currency"]
    search_fields = ["title"]
    ordering = ["-id"]
    fields = [*EDITABLE_FIELDS, *READ_MODEL_FIELDS, "donations", "created_at", "updated_at"]
    # The buckets and counters belong to the event projector (SPEC §4).
    readonly_fields = [*READ_MODEL_FIELDS, "donations", "created_at", "updated_at"]

    @admin.display(description="Donations")
    def donations(self, obj: Campaign) -> SafeString | str:
        """The newest donations of the campaign, and links to all of them and its payments."""
        if obj.pk is None:
            return "-"
        latest = obj.pledges.order_by("-pledge_id")[:LATEST_DONATIONS]
        rows = format_html_join(
            "",
            "<li>#{} {} {} {} ({})</li>",
            ((d.pledge_id, d.amount, d.currency, d.status, d.donor_name or "-") for d in latest),
        )
        pledges = reverse("admin:campaigns_pledgeprojection_changelist")
        payments = reverse("admin:campaigns_paymentevent_changelist")
        return format_html(
            '<ul>{}</ul><a href="{}?campaign__id__exact={}">All {} donation(s)</a> · '
            '<a href="{}?campaign__id__exact={}">Payment events</a>',
            rows,
            pledges,
            obj.pk,
            obj.total_pledges,
            payments,
            obj.pk,
        )

    def save_model(self, request: HttpRequest, obj: Campaign, form: Any, change: bool) -> None:
        # The admin saves inside its own transaction: the event joins it (SPEC §4).
        if change:
            # Write only what the form edits: the read-model values loaded with the page may be
            # stale, and a full save would undo the projector's concurrent updates.
            obj.save(update_fields=[*EDITABLE_FIELDS, "updated_at"])
            if any(field in PUBLISHED_FIELDS for field in form.changed_data):
                campaign_changed(campaign=obj)
        else:
            obj.save()
            campaign_changed(campaign=obj)

    def has_delete_permission(self, request: HttpRequest, obj: Campaign | None = None) -> bool:
        # A campaign with pledges stays (SPEC §3); the bulk action asks per object too.
        if obj is not None and obj.total_pledges:
            return False
        return super().has_delete_permission(request, obj)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Not inside one transaction, as Django's own is: the deletion first holds the campaign
        # in pledge_service (an HTTP call), then commits on its own (services.campaign_delete).
        return self._delete_view(request, object_id, extra_context)  # type: ignore[attr-defined]

    def delete_model(self, request: HttpRequest, obj: Campaign) -> None:
        self.delete_queryset(request, Campaign.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        # Through the service, as the API: decided on pledge_service's pledges (SPEC §3).
        for campaign_id in queryset.order_by("pk").values_list("pk", flat=True):
            try:
                campaign_delete(campaign_id=campaign_id)
            except Problem as problem:
                raise PermissionDenied(str(problem.detail)) from None


@admin.register(PledgeProjection)
class PledgeProjectionAdmin(ReadOnlyAdmin):
    list_display = [
        "pledge_id",
        "campaign",
        "amount",
        "currency",
        "status",
        "donor_name",
        "anonymous",
        "occurred_at",
        "updated_at",
    ]
    list_filter = ["status", "anonymous"]
    list_select_related = ["campaign"]
    search_fields = ["=pledge_id", "donor_name"]
    ordering = ["-pledge_id"]


@admin.register(PaymentEvent)
class PaymentEventAdmin(ReadOnlyAdmin):
    """The audit trail of payments as campaign_service received them (SPEC §4)."""

    list_display = [
        "id",
        "event_type",
        "payment_id",
        "pledge_id",
        "campaign",
        "amount",
        "currency",
        "error",
        "occurred_at",
        "received_at",
    ]
    list_filter = ["event_type"]
    list_select_related = ["campaign"]
    search_fields = ["=payment_id", "=pledge_id", "event_id"]
    ordering = ["-id"]
