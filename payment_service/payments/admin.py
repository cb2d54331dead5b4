"""Staff's view of payments (SPEC §3): read-only, since only the provider moves money (§5.6).

Statuses move only through the provider's answers, which also tell pledge_service and
campaign_service; an edit here would split them. One action asks the provider again now; the
other refunds a captured payment through ``payments.refunds.refund_request``, the service the
API calls, after a confirmation page whose hidden token is the request's idempotency key (a
double submit makes one refund). Refunds and disputes are shown, never edited.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import AdminForm
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from careforall_common.admin import ReadOnlyAdmin, admin_link, csv_response
from careforall_common.admin_auth import platform_user_id
from careforall_common.idempotency import IdempotencyRequest, idempotency_request
from careforall_common.money import MajorUnitsField, money_format, money_parse, money_plain
from careforall_common.problems import Problem
from careforall_common.timestamps import timestamp
from payments import refunds
from payments.models import (
    Dispute,
    IdempotencyRecord,
    Payment,
    PaymentStatus,
    ProviderEvent,
    Refund,
    RefundRequest,
    RefundStatus,
)

PAYMENT_FIELDS = (
    "id",
    "pledge",
    "campaign",
    "user",
    "money",
    "currency",
    "status",
    "payment_method",
    "provider_payment_id",
    "failure_reason",
    "refunded",
    "card_brand",
    "card_last4",
    "reconcile_after",
    "created_at",
    "updated_at",
)
REFUND_FIELDS = (
    "id",
    "money",
    "status",
    "source",
    "reason",
    "failure_reason",
    "provider_refund_id",
    "requested_by_link",
    "created_at",
    "updated_at",
)
DISPUTE_FIELDS = (
    "id",
    "provider_dispute_id",
    "money",
    "status",
    "reason",
    "opened_at",
    "closed_at",
)
RECORD_FIELDS = (
    "id",
    "scope",
    "key",
    "scoped_key_hash",
    "fingerprint",
    "payment",
    "answered",
    "response_status",
    "answer",
    "created_at",
)
EVENT_FIELDS = (
    "id",
    "event_id",
    "event_type",
    "intent_id",
    "payment",
    "result",
    "received_at",
    "processed_at",
    "payload",
)


class ReadOnlyInline(admin.TabularInline[Any, Any]):
    """Rows of a payment that only the platform writes: shown on its page, never edited."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Amount", ordering="amount")
    def money(self, row: Refund | Dispute) -> str:
        return money_format(row.amount, row.currency)


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = REFUND_FIELDS
    readonly_fields = REFUND_FIELDS
    ordering = ["id"]
    verbose_name_plural = "Refunds"

    @admin.display(description="Requested by (platform user)")
    def requested_by_link(self, refund: Refund) -> str:
        return admin_link("user", refund.requested_by) if refund.requested_by else "-"


class DisputeInline(ReadOnlyInline):
    model = Dispute
    fields = DISPUTE_FIELDS
    readonly_fields = DISPUTE_FIELDS
    ordering = ["id"]
    verbose_name_plural = "Disputes"


class DisputedFilter(admin.SimpleListFilter):
    title = "disputed"
    parameter_name = "disputed"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Payment]) -> QuerySet[Payment]:
        disputed = Exists(Dispute.objects.filter(payment=OuterRef("pk")))
        if self.value() == "yes":
            return queryset.filter(disputed)
        if self.value() == "no":
            return queryset.exclude(disputed)
        return queryset


class RefundForm(forms.Form):
    """The confirmation page's form: an amount in the payment's major units, a reason, a token.

    ``token`` is made when the page is shown; it is the refund request's idempotency key, so
    the same page sent twice refunds once.
    """

    amount = MajorUnitsField(label="Amount to refund")
    reason = forms.CharField(
        max_length=500,
        required=False,
        help_text=(
            "Shown to staff and sent to the provider; duplicate, fraudulent or "
            "requested_by_customer are also the provider's own reasons."
        ),
    )
    token = forms.CharField(widget=forms.HiddenInput, max_length=64, min_length=16)

    def __init__(self, *args: Any, payment: Payment, refundable: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.payment = payment
        self.refundable = refundable
        self.fields["amount"].help_text = (
            f"In {payment.currency.upper()}, such as {money_plain(refundable, payment.currency)}; "
            f"at most {money_format(refundable, payment.currency)} is left to refund."
        )

    def clean_amount(self) -> int:
        try:
            amount = money_parse(self.cleaned_data["amount"], self.payment.currency)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error
        if amount < 1:
            raise forms.ValidationError("Enter an amount above zero.")
        if amount > self.refundable:
            left = money_format(self.refundable, self.payment.currency)
            raise forms.ValidationError(f"Only {left} of this payment is left to refund.")
        return amount


def refundable_amount(payment: Payment) -> int:
    """What is left to refund: the amount less the refunds counted or waiting for the provider.

    The form's check; the service decides again under the payment's row lock.
    """
    if payment.status != PaymentStatus.CAPTURED:
        return 0
    taken = (
        Refund.objects.filter(payment=payment)
        .exclude(status=RefundStatus.FAILED)
        .aggregate(total=Sum("amount"))["total"]
    )
    return max(payment.amount - int(taken or 0), 0)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "pledge",
        "campaign",
        "money",
        "refunded",
        "status",
        "disputed",
        "provider_payment_id",
        "failure_reason",
        "created_at",
    ]
    list_filter = ["status", DisputedFilter, "currency"]
    search_fields = ["=id", "=pledge_id", "=campaign_id", "=user_id", "=provider_payment_id"]
    search_help_text = (
        "Payment id, pledge id, campaign id, user id or the provider's payment id "
        "(donor emails are in the pledges admin)."
    )
    ordering = ["-id"]
    fields = PAYMENT_FIELDS
    readonly_fields = PAYMENT_FIELDS
    inlines = [RefundInline, DisputeInline]
    actions = ["reconcile_now", "refund"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Payment]:
        disputed = Exists(Dispute.objects.filter(payment=OuterRef("pk")))
        return super().get_queryset(request).annotate(is_disputed=disputed)

    @admin.display(description="Amount", ordering="amount")
    def money(self, payment: Payment) -> str:
        return money_format(payment.amount, payment.currency)

    @admin.display(description="Refunded", ordering="refunded_amount")
    def refunded(self, payment: Payment) -> str:
        return money_format(payment.refunded_amount, payment.currency)

    @admin.display(description="Disputed", boolean=True, ordering="is_disputed")
    def disputed(self, payment: Payment) -> bool:
        return bool(getattr(payment, "is_disputed", False))

    # The other services' admins, through the gateway (SPEC §3).
    @admin.display(description="Pledge", ordering="pledge_id")
    def pledge(self, payment: Payment) -> str:
        return admin_link("pledge", payment.pledge_id)

    @admin.display(description="Campaign", ordering="campaign_id")
    def campaign(self, payment: Payment) -> str:
        return admin_link("campaign", payment.campaign_id)

    @admin.display(description="Donor account", ordering="user_id")
    def user(self, payment: Payment) -> str:
        return admin_link("user", payment.user_id) if payment.user_id else "guest"

    def get_urls(self) -> list[Any]:
        export = path(
            "export.csv",
            self.admin_site.admin_view(self.export_csv),
            name="payments_payment_export_csv",
        )
        refund = path(
            "<int:object_id>/refund/",
            self.admin_site.admin_view(self.refund_view),
            name="payments_payment_refund",
        )
        return [export, refund, *super().get_urls()]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        found = Payment.objects.filter(pk=object_id).first() if object_id.isdigit() else None
        refundable = found is not None and refundable_amount(found) > 0
        context = {**(extra_context or {}), "refundable": refundable}
        return super().change_view(request, object_id, form_url, extra_context=context)

    def refund_view(self, request: HttpRequest, object_id: int) -> HttpResponseBase:
        """The confirmation page of a refund; its POST refunds through the refund service."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        payment = get_object_or_404(Payment, pk=object_id)
        change_page = reverse("admin:payments_payment_change", args=[payment.pk])
        refundable = refundable_amount(payment)
        if request.method == "POST" and self._sent_before(request):
            # The same page sent again: the service answers with the first refund.
            refundable = payment.amount
        elif payment.status != PaymentStatus.CAPTURED or refundable <= 0:
            self.message_user(
                request,
                f"Payment #{payment.pk} is {payment.status} with nothing left to refund; "
                "only a captured payment can be refunded.",
                messages.ERROR,
            )
            return HttpResponseRedirect(change_page)
        if request.method == "POST":
            form = RefundForm(request.POST, payment=payment, refundable=refundable)
            if form.is_valid():
                self._refund(request, payment, form.cleaned_data)
                return HttpResponseRedirect(change_page)
        else:
            initial = {
                "amount": money_plain(refundable, payment.currency),
                "token": secrets.token_urlsafe(24),
            }
            form = RefundForm(initial=initial, payment=payment, refundable=refundable)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Refund payment #{payment.pk}",
            "opts": self.opts,
            "original": payment,
            "payment": payment,
            "amount": money_format(payment.amount, payment.currency),
            "refunded": money_format(payment.refunded_amount, payment.currency),
            "refundable": money_format(refundable, payment.currency),
            # AdminForm lays out any form; its stub asks for a ModelForm.
            "adminform": AdminForm(form, [(None, {"fields": ["amount", "reason"]})], {}),  # type: ignore[arg-type]
            "form": form,
            "change_page": change_page,
        }
        return TemplateResponse(request, "admin/payments/payment/refund.html", context)

    @staticmethod
    def _scope(request: HttpRequest) -> str:
        return f"admin-refund:{request.user.pk}"

    def _sent_before(self, request: HttpRequest) -> bool:
        """Whether this confirmation page's token has made its refund request already."""
        token = request.POST.get("token", "")
        sent = IdempotencyRequest(self._scope(request), token, "").scoped_key_hash
        return bool(token) and RefundRequest.objects.filter(scoped_key_hash=sent).exists()

    def _refund(self, request: HttpRequest, payment: Payment, data: dict[str, Any]) -> None:
        body = {"payment_id": payment.pk, "amount": data["amount"], "reason": data["reason"]}
        idempotency = idempotency_request(key=data["token"], scope=self._scope(request), body=body)
        shown = money_format(data["amount"], payment.currency)
        try:
            outcome = refunds.refund_request(
                payment_id=payment.pk,
                idempotency=idempotency,
                amount=data["amount"],
                reason=data["reason"],
                staff_user_id=platform_user_id(request),
            )
        except Problem as problem:
            self._refund_problem(request, payment, problem, shown)
            return
        if outcome.replayed:
            self.message_user(
                request,
                f"This refund was already sent (refund #{outcome.body.get('id')}): "
                "nothing more was refunded.",
                messages.WARNING,
            )
            return
        if outcome.status != 201:
            self.message_user(request, str(outcome.body.get("detail", "")), messages.ERROR)
            return
        refund_id, status = outcome.body["id"], outcome.body["status"]
        self._log_refund(request, payment, refund_id, shown, data["reason"])
        if status == RefundStatus.SUCCEEDED:
            self.message_user(
                request,
                f"Refunded {shown} of payment #{payment.pk} (refund #{refund_id}).",
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                f"Refund #{refund_id} of {shown} was sent; the provider has not confirmed it "
                "yet, and its status here will follow the provider's.",
                messages.WARNING,
            )

    def _refund_problem(
        self, request: HttpRequest, payment: Payment, problem: Problem, shown: str
    ) -> None:
        status, extra = problem.status_code, problem.extra
        if status == 409 and "refundable_amount" in extra:
            left = money_format(int(extra["refundable_amount"]), payment.currency)
            text = f"Not refunded: only {left} of payment #{payment.pk} is left to refund."
        elif status == 503:
            refund_id = extra.get("refund_id")
            if refund_id is not None:
                self._log_refund(request, payment, int(refund_id), shown, "")
            text = (
                f"The payment provider cannot be reached: refund #{refund_id} of {shown} is "
                "waiting and will be sent again automatically; nothing more is needed."
            )
        else:
            text = f"Not refunded: {problem.detail}"
        self.message_user(request, text, messages.ERROR)

    def _log_refund(
        self, request: HttpRequest, payment: Payment, refund_id: int, shown: str, reason: str
    ) -> None:
        because = f" ({reason})" if reason else ""
        self.log_change(request, payment, f"Refunded {shown}: refund #{refund_id}{because}.")

    def export_csv(self, request: HttpRequest) -> HttpResponseBase:
        """The payments the list shows (its search and filters) as CSV, streamed in chunks."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        queryset = self.get_changelist_instance(request).get_queryset(request)
        return csv_response(payment_rows(queryset), "payments.csv")

    @admin.action(description="Ask the provider about the selected payments now")
    def reconcile_now(self, request: HttpRequest, queryset: QuerySet[Payment]) -> None:
        # The reconciliation task (every few seconds) does the asking, forward only.
        due = queryset.filter(status__in=[PaymentStatus.PROCESSING, PaymentStatus.AUTHORIZED])
        count = due.update(reconcile_after=timezone.now())
        self.message_user(
            request, f"{count} payment(s) will be checked with the provider.", messages.SUCCESS
        )

    @admin.action(description="Refund the selected payment (one at a time)")
    def refund(self, request: HttpRequest, queryset: QuerySet[Payment]) -> HttpResponseBase | None:
        chosen = list(queryset.values_list("pk", flat=True)[:2])
        if len(chosen) != 1:
            self.message_user(request, "Select one payment to refund.", messages.WARNING)
            return None
        return HttpResponseRedirect(reverse("admin:payments_payment_refund", args=[chosen[0]]))


PAYMENT_CSV_HEADER = [
    "payment_id",
    "created_at",
    "pledge_id",
    "campaign_id",
    "amount",
    "currency",
    "status",
    "provider_payment_id",
    "failure_reason",
    "refunded_amount",
]
EXPORT_CHUNK = 500  # payments read per query while the export streams


def payment_rows(queryset: QuerySet[Payment]) -> Iterator[list[Any]]:
    """The payments of ``queryset``, newest first, a chunk at a time (keyset on the id)."""
    yield PAYMENT_CSV_HEADER
    before: int | None = None
    columns = PAYMENT_CSV_HEADER[1:]
    while True:
        chunk = queryset.order_by("-id")
        if before is not None:
            chunk = chunk.filter(id__lt=before)
        rows = list(chunk.values_list("id", *columns)[:EXPORT_CHUNK])
        if not rows:
            return
        for row in rows:
            values = dict(zip(PAYMENT_CSV_HEADER, row, strict=True))
            values["created_at"] = timestamp(values["created_at"])
            values["amount"] = money_plain(values["amount"], values["currency"])
            values["refunded_amount"] = money_plain(values["refunded_amount"], values["currency"])
            values["provider_payment_id"] = values["provider_payment_id"] or ""
            yield list(values.values())
        before = rows[-1][0]


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["id", "scope", "key", "payment_id", "answered", "created_at"]
    list_filter = ["answered"]
    search_fields = ["=key", "=scope", "=payment__id"]
    ordering = ["-id"]
    fields = RECORD_FIELDS
    readonly_fields = RECORD_FIELDS

    @admin.display(description="response body")
    def answer(self, record: IdempotencyRecord) -> str:
        """The answer, without the client secret: it was for the donor's browser only."""
        body = dict(record.response_body or {})
        if "client_secret" in body:
            body["client_secret"] = "(hidden)"  # noqa: S105 (a placeholder, not a secret)
        return json.dumps(body, indent=1)


@admin.register(ProviderEvent)
class ProviderEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "event_id", "event_type", "intent_id", "payment_id", "result"]
    list_filter = ["result", "event_type"]
    search_fields = ["=event_id", "=intent_id", "=payment__id"]
    ordering = ["-id"]
    fields = EVENT_FIELDS
    readonly_fields = EVENT_FIELDS


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "payment_link",
        "money",
        "status",
        "source",
        "reason",
        "provider_refund_id",
        "created_at",
    ]
    list_filter = ["status", "source", "currency"]
    search_fields = ["=id", "=payment__id", "=provider_refund_id"]
    search_help_text = "Refund id, payment id or the provider's refund id."
    ordering = ["-id"]
    fields = ("payment_link", *REFUND_FIELDS)
    readonly_fields = ("payment_link", *REFUND_FIELDS)

    @admin.display(description="Payment", ordering="payment_id")
    def payment_link(self, refund: Refund) -> str:
        return admin_link("payment", refund.payment_id)

    @admin.display(description="Amount", ordering="amount")
    def money(self, refund: Refund) -> str:
        return money_format(refund.amount, refund.currency)

    @admin.display(description="Requested by (platform user)")
    def requested_by_link(self, refund: Refund) -> str:
        return admin_link("user", refund.requested_by) if refund.requested_by else "-"


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "payment_link",
        "money",
        "status",
        "reason",
        "provider_dispute_id",
        "opened_at",
        "closed_at",
    ]
    list_filter = ["status", "currency"]
    search_fields = ["=id", "=payment__id", "=provider_dispute_id"]
    search_help_text = "Dispute id, payment id or the provider's dispute id."
    ordering = ["-id"]
    fields = ("payment_link", *DISPUTE_FIELDS)
    readonly_fields = ("payment_link", *DISPUTE_FIELDS)

    @admin.display(description="Payment", ordering="payment_id")
    def payment_link(self, dispute: Dispute) -> str:
        return admin_link("payment", dispute.payment_id)

    @admin.display(description="Amount", ordering="amount")
    def money(self, dispute: Dispute) -> str:
        return money_format(dispute.amount, dispute.currency)
