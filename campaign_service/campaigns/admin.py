from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import requests
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from rest_framework import serializers

from campaigns.clients.pledges import donor_emails
from campaigns.models import (
    MAX_DESCRIPTION_LENGTH,
    Campaign,
    CampaignStatus,
    PaymentEvent,
    PledgeProjection,
    RefundProjection,
)
from campaigns.services import (
    EDITABLE_FIELDS,
    campaign_create,
    campaign_delete,
    campaign_update,
)
from careforall_common.admin import ReadOnlyAdmin, admin_link, csv_response
from careforall_common.money import MajorUnitsField, MoneyFormMixin, money_format, money_plain
from careforall_common.problems import Problem
from careforall_common.timestamps import timestamp

logger = logging.getLogger(__name__)

DONATIONS_PER_PAGE = 20  # on a campaign's page, newest first
EXPORT_CHUNK = 500  # donations read per query while a CSV export streams


def _money(field: str, description: str) -> Any:
    """A read-only column or field showing ``field`` in the campaign's currency, sortable."""

    @admin.display(description=description, ordering=field)
    def show(self: Any, obj: Campaign) -> str:
        return money_format(getattr(obj, field), obj.currency)

    return show


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

    def full_clean(self) -> None:
        """Write through the API's services once the form is valid (SPEC §3).

        One code path with the API: the status rules, the currency change decided on
        pledge_service's pledges, and ``CAMPAIGN_CHANGED`` all live in the service; its refusal
        is shown as the form's error. The admin's view runs outside a transaction for this
        (``CampaignAdmin.changeform_view``): the service calls pledge_service before it commits.
        """
        super().full_clean()
        if not self.is_bound or self.errors:
            return
        data: dict[str, Any] = {field: self.cleaned_data.get(field) for field in EDITABLE_FIELDS}
        try:
            if self.instance.pk is None:
                self.instance = campaign_create(**data)
            else:
                self.instance = campaign_update(campaign_id=self.instance.pk, **data)
        except Problem as problem:
            self.add_error(None, str(problem.detail))
        except serializers.ValidationError as error:
            detail: Any = error.detail
            for field, refusals in detail.items() if isinstance(detail, dict) else []:
                for refusal in refusals:
                    self.add_error(field if field in self.fields else None, str(refusal))


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
    fields = [
        *EDITABLE_FIELDS,
        *money_read_only,
        "progress",
        "total_pledges",
        "total_payments",
        "donations",
        "created_at",
        "updated_at",
    ]
    # The buckets and counters belong to the event projector (SPEC §4).
    readonly_fields = [
        *money_read_only,
        "progress",
        "total_pledges",
        "total_payments",
        "donations",
        "created_at",
        "updated_at",
    ]

    goal = _money("goal_amount", "Goal")
    refunded = _money("refunded_amount", "Refunded")
    pending = _money("pending_amount", "Pending")
    authorized = _money("authorized_amount", "Authorized")
    captured = _money("captured_amount", "Captured")
    failed = _money("failed_amount", "Failed")

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
        context = {**(extra_context or {}), **donation_history(request, object_id)}
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
            return TemplateResponse(
                request, "admin/campaigns/campaign/status_confirmation.html", context
            )
        moved = 0
        for campaign in campaigns:
            if campaign.status == status:
                continue
            try:
                changed = campaign_update(campaign_id=campaign.pk, status=status)
            except Problem as problem:
                self.message_user(
                    request, f"#{campaign.pk} {campaign}: {problem.detail}", messages.ERROR
                )
                continue
            self.log_change(request, changed, f"Status changed to {status}.")
            moved += 1
        self.message_user(request, f"{moved} campaign(s) now {status}.", messages.SUCCESS)
        return None

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # Not inside one transaction, as Django's own is: the form writes through the services
        # (CampaignForm.full_clean), which call pledge_service and commit on their own.
        return self._changeform_view(  # type: ignore[attr-defined]
            request, object_id, form_url, extra_context
        )

    def save_model(self, request: HttpRequest, obj: Campaign, form: Any, change: bool) -> None:
        # Already written by the service when the form was validated; only the read-model
        # fields' projector writes otherwise, so nothing is saved here.
        return

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


def _payment_ids(pledge_ids: list[int]) -> dict[int, int]:
    """The newest payment campaign_service heard of for each pledge (its audit trail)."""
    found: dict[int, int] = {}
    rows = PaymentEvent.objects.filter(pledge_id__in=pledge_ids).values_list(
        "pledge_id", "payment_id"
    )
    for pledge_id, payment_id in rows:
        found[pledge_id] = max(payment_id, found.get(pledge_id, 0))
    return found


def _refunded(pledge_ids: list[int]) -> dict[int, int]:
    """What came back of each pledge, from this service's refund rows."""
    rows = (
        RefundProjection.objects.filter(pledge_id__in=pledge_ids)
        .values("pledge_id")
        .annotate(total=Sum("amount"))
        .order_by()
        .values_list("pledge_id", "total")
    )
    return dict(rows)


def donation_history(request: HttpRequest, object_id: str) -> dict[str, Any]:
    """One page of a campaign's donations, newest first, linked to their pledge and payment."""
    if not object_id.isdigit():
        return {}
    donations = PledgeProjection.objects.filter(campaign_id=int(object_id)).order_by(
        "-occurred_at", "-pledge_id"
    )
    page = Paginator(donations, DONATIONS_PER_PAGE).get_page(request.GET.get("donations_page"))
    payments = _payment_ids([d.pledge_id for d in page])
    refunded = _refunded([d.pledge_id for d in page])
    rows = [
        {
            "pledge": admin_link("pledge", d.pledge_id),
            "payment": admin_link("payment", payments.get(d.pledge_id)),
            "occurred_at": d.occurred_at,
            "donor": d.donor_name or "-",
            "anonymous": d.anonymous,
            "amount": money_format(d.amount, d.currency),
            "status": d.status,
            "refunded": money_format(refunded[d.pledge_id], d.currency)
            if d.pledge_id in refunded
            else "",
        }
        for d in page
    ]
    return {"donation_page": page, "donation_rows": rows}


CSV_HEADER = [
    "pledge_id",
    "date",
    "donor",
    "email",
    "amount",
    "currency",
    "status",
    "refunded_amount",
    "payment_id",
]
EMAIL_UNAVAILABLE = "(pledge_service did not answer)"


def _emails(pledge_ids: list[int]) -> dict[int, str]:
    try:
        return donor_emails(pledge_ids=pledge_ids)
    except (requests.RequestException, ValueError, KeyError, TypeError) as error:
        logger.warning("export: pledge_service did not give donor emails: %s", error)
        return dict.fromkeys(pledge_ids, EMAIL_UNAVAILABLE)


def donation_rows(campaign_id: int) -> Iterator[list[Any]]:
    """The campaign's donations, newest first, a chunk at a time (keyset on the pledge id).

    Amounts are exact decimal strings in major units. Donor emails (staff only, as this whole
    admin is) are asked of pledge_service per chunk, so memory stays flat at any size; they are
    never stored here. The refunded amount is the sum of the pledge's refund rows.
    """
    yield CSV_HEADER
    before: int | None = None
    while True:
        chunk = PledgeProjection.objects.filter(campaign_id=campaign_id)
        if before is not None:
            chunk = chunk.filter(pledge_id__lt=before)
        rows = list(
            chunk.order_by("-pledge_id").values_list(
                "pledge_id",
                "occurred_at",
                "donor_name",
                "anonymous",
                "amount",
                "currency",
                "status",
            )[:EXPORT_CHUNK]
        )
        if not rows:
            return
        payments = _payment_ids([row[0] for row in rows])
        refunded = _refunded([row[0] for row in rows])
        emails = _emails([row[0] for row in rows])
        for pledge_id, occurred_at, name, anonymous, amount, currency, status in rows:
            yield [
                pledge_id,
                timestamp(occurred_at),
                "Anonymous" if anonymous or not name else name,
                emails.get(pledge_id, ""),
                money_plain(amount, currency),
                currency,
                status,
                money_plain(refunded.get(pledge_id, 0), currency),
                payments.get(pledge_id, ""),
            ]
        before = rows[-1][0]


@admin.display(description="Amount", ordering="amount")
def _row_amount(obj: PledgeProjection | PaymentEvent | RefundProjection) -> str:
    return money_format(obj.amount, obj.currency)


@admin.display(description="Pledge", ordering="pledge_id")
def _pledge_link(obj: PledgeProjection | PaymentEvent | RefundProjection) -> str:
    return admin_link("pledge", obj.pledge_id)


@admin.register(PledgeProjection)
class PledgeProjectionAdmin(ReadOnlyAdmin):
    list_display = [
        "pledge_id",
        "campaign",
        _row_amount,
        "status",
        "donor_name",
        "anonymous",
        "occurred_at",
        _pledge_link,
        "payments",
    ]
    list_filter = ["status", "anonymous"]
    list_select_related = ["campaign"]
    search_fields = ["=pledge_id", "donor_name"]
    search_help_text = "Pledge id or donor name (donor emails are in the pledges admin)."
    ordering = ["-pledge_id"]

    @admin.display(description="Payments")
    def payments(self, obj: PledgeProjection) -> str:
        return admin_link("payment", None, "in payments", pledge_id=obj.pledge_id)


@admin.register(PaymentEvent)
class PaymentEventAdmin(ReadOnlyAdmin):
    """The audit trail of payments as campaign_service received them (SPEC §4)."""

    list_display = [
        "id",
        "event_type",
        "payment",
        _pledge_link,
        "campaign",
        _row_amount,
        "error",
        "occurred_at",
        "received_at",
    ]
    list_filter = ["event_type"]
    list_select_related = ["campaign"]
    search_fields = ["=payment_id", "=pledge_id", "event_id"]
    search_help_text = "Payment id, pledge id or event id."
    ordering = ["-id"]

    @admin.display(description="Payment", ordering="payment_id")
    def payment(self, obj: PaymentEvent) -> str:
        return admin_link("payment", obj.payment_id)


@admin.register(RefundProjection)
class RefundProjectionAdmin(ReadOnlyAdmin):
    """Refunds as campaign_service counted them in ``refunded_amount`` (one row per refund)."""

    list_display = [
        "refund_id",
        "payment",
        _pledge_link,
        "campaign",
        _row_amount,
        "occurred_at",
        "received_at",
    ]
    list_select_related = ["campaign"]
    search_fields = ["=refund_id", "=payment_id", "=pledge_id"]
    search_help_text = "Refund id, payment id or pledge id."
    ordering = ["-refund_id"]

    @admin.display(description="Payment", ordering="payment_id")
    def payment(self, obj: RefundProjection) -> str:
        return admin_link("payment", obj.payment_id)
