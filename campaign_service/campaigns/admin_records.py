"""The read model's rows in the admin, and the donation history on a campaign's page.

Read only: the projector writes these rows (SPEC §4); ``campaigns.admin`` registers them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.paginator import Paginator
from django.http import HttpRequest

from campaigns.models import PaymentEvent, PlanProjection, PledgeProjection, RefundProjection
from campaigns.selectors import donation_history, payment_ids_by_pledge, refunded_by_pledge
from careforall_common.admin import ReadOnlyAdmin, admin_link
from careforall_common.money import money_format

DONATIONS_PER_PAGE = 20  # on a campaign's page, newest first


def donation_page(request: HttpRequest, object_id: str) -> dict[str, Any]:
    """One page of a campaign's donations, newest first, linked to their pledge and payment."""
    if not object_id.isdigit():
        return {}
    donations = donation_history(campaign_id=int(object_id))
    page = Paginator(donations, DONATIONS_PER_PAGE).get_page(request.GET.get("donations_page"))
    payments = payment_ids_by_pledge([d.pledge_id for d in page])
    refunded = refunded_by_pledge([d.pledge_id for d in page])
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


@admin.display(description="Amount", ordering="amount")
def _row_amount(obj: PledgeProjection | PaymentEvent | RefundProjection | PlanProjection) -> str:
    return money_format(obj.amount, obj.currency)


@admin.display(description="Pledge", ordering="pledge_id")
def _pledge_link(obj: PledgeProjection | PaymentEvent | RefundProjection) -> str:
    return admin_link("pledge", obj.pledge_id)


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


class RefundProjectionAdmin(ReadOnlyAdmin):
    """Refunds as campaign_service counted them in ``refunded_amount`` (one row per refund)."""

    list_display = [
        "refund_id",
        "payment",
        _pledge_link,
        "campaign",
        _row_amount,
        "occurred_at",
        "failed_at",
        "received_at",
    ]
    list_select_related = ["campaign"]
    search_fields = ["=refund_id", "=payment_id", "=pledge_id"]
    search_help_text = "Refund id, payment id or pledge id."
    ordering = ["-refund_id"]

    @admin.display(description="Payment", ordering="payment_id")
    def payment(self, obj: RefundProjection) -> str:
        return admin_link("payment", obj.payment_id)


class PlanProjectionAdmin(ReadOnlyAdmin):
    """Recurring plans as campaign_service counts them in ``active_plans`` and
    ``monthly_recurring_amount`` (one row per plan; pledge_service's admin manages them)."""

    list_display = ["plan_id", "campaign", "status", _row_amount, "interval", "changed_at"]
    list_filter = ["status", "interval"]
    list_select_related = ["campaign"]
    search_fields = ["=plan_id", "=campaign__id"]
    search_help_text = "Plan id or campaign id."
    ordering = ["-plan_id"]
