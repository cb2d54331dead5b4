"""The payments admin's "Refund…" page (docs/payments.md, "Refunds in the admin").

It refunds through ``refunds.services.refund_request``, the service the API calls, so the row
lock, the 409 and the provider's key are the same. The page carries a hidden token made when it
was shown: the request's idempotency key (scope ``admin-refund:<admin user id>``), so the same
page sent twice makes one refund.
"""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import AdminForm
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from careforall_common.admin_auth import platform_user_id
from careforall_common.contracts.statuses import PaymentStatus
from careforall_common.idempotency import IdempotencyRequest, idempotency_request
from careforall_common.money import MajorUnitsField, money_format, money_parse, money_plain
from careforall_common.problems import Problem
from payments.models import Payment
from refunds import services
from refunds.models import RefundRequest, RefundStatus
from refunds.selectors import refundable_amount


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


class PaymentRefundAdminMixin(admin.ModelAdmin):
    """The refund page of ``PaymentAdmin`` (its URL is ``admin:payments_payment_refund``)."""

    def refund_view(self, request: HttpRequest, object_id: int) -> HttpResponseBase:
        """The confirmation page of a refund; its POST refunds through the refund service."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        payment = get_object_or_404(Payment, pk=object_id)
        change_page = reverse("admin:payments_payment_change", args=[payment.pk])
        refundable = refundable_amount(payment=payment)
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
        return self._refund_page(request, payment, form, refundable, change_page)

    def _refund_page(
        self,
        request: HttpRequest,
        payment: Payment,
        form: RefundForm,
        refundable: int,
        change_page: str,
    ) -> HttpResponseBase:
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
            outcome = services.refund_request(
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
