"""A notice as an email: text and HTML parts from templates, read at send time.

The templates autoescape the HTML part (donor names and campaign titles are anyone's input);
the text part is plain text. No remote images, no tracking: the only link is the receipt's.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from careforall_common.contracts.events import timestamp_parse
from careforall_common.money import money_format
from notices.clients.campaigns import campaign_title
from notices.clients.payments import log_entry_ref
from notices.models import Notice, NoticeKind
from notices.salutation import salutation
from plans.models import PlanInterval, RecurringPlan
from plans.tokens import manage_token
from pledges.models import Pledge
from pledges.receipts import receipt_token

PLAN_KINDS = (
    NoticeKind.PLAN_CREATED,
    NoticeKind.PLAN_PAST_DUE,
    NoticeKind.PLAN_AUTHENTICATION_REQUIRED,
    NoticeKind.PLAN_CANCELED,
)


def receipt_link(notice: Notice) -> str:
    """The donor site's receipt page; a guest's carries the receipt token that opens it."""
    pledge = notice.pledge
    link = f"{settings.PUBLIC_BASE_URL.rstrip('/')}/#/receipt/{pledge.pk}"
    params = []
    if pledge.user_id is None and pledge.receipt_nonce:
        params.append(f"token={receipt_token(nonce=pledge.receipt_nonce)}")
    if payment_id := notice.data.get("payment_id"):
        params.append(f"payment={int(payment_id)}")
    return link + ("?" + "&".join(params) if params else "")


def manage_link(plan: RecurringPlan) -> str:
    """The donor site's page of the plan; a guest's carries the manage token that opens it."""
    link = f"{settings.PUBLIC_BASE_URL.rstrip('/')}/#/recurring/{plan.pk}"
    if plan.user_id is None and plan.manage_nonce:
        link += f"?manage_token={manage_token(nonce=plan.manage_nonce)}"
    return link


def authenticate_link(plan: RecurringPlan, pledge: Pledge) -> str:
    """The donor site's page where the donor completes 3-D Secure for one installment.

    ``#/recurring/<plan id>/installments/<pledge id>/authenticate``; a guest's carries the
    plan's manage token and the installment's receipt token (docs/recurring.md "Dunning").
    """
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    link = f"{base}/#/recurring/{plan.pk}/installments/{pledge.pk}/authenticate"
    if plan.user_id is None and plan.manage_nonce:
        link += f"?manage_token={manage_token(nonce=plan.manage_nonce)}"
        if pledge.receipt_nonce:
            link += f"&receipt_token={receipt_token(nonce=pledge.receipt_nonce)}"
    return link


def plan_context(notice: Notice) -> dict[str, Any]:
    plan = notice.plan
    assert plan is not None  # noqa: S101  (every plan notice names its plan)
    data = notice.data
    return {
        "plan_amount": money_format(plan.amount, plan.currency),
        "amount": money_format(int(data.get("amount") or plan.amount), plan.currency),
        "interval_word": "monthly" if plan.interval == PlanInterval.MONTH else "yearly",
        "interval_phrase": "every month" if plan.interval == PlanInterval.MONTH else "every year",
        "manage_link": manage_link(plan),
        "authenticate_link": authenticate_link(plan, notice.pledge),
        "retry_at": timestamp_parse(data.get("retry_at")),
        "cancel_reason": data.get("cancel_reason") or plan.cancel_reason,
    }


def notice_context(notice: Notice) -> dict[str, Any]:
    pledge = notice.pledge
    data = notice.data
    currency = str(data.get("currency") or pledge.currency)
    context: dict[str, Any] = {
        "charity_name": settings.CHARITY_NAME,
        "donor_name": salutation(pledge.donor_name),
        "campaign_title": campaign_title(campaign_id=pledge.campaign_id),
        "date": notice.occurred_at,
        "receipt_link": receipt_link(notice),
        "pledge_id": pledge.pk,
        "reference": notice.key,
    }
    if notice.kind in PLAN_KINDS:
        context.update(plan_context(notice))
    elif notice.kind == NoticeKind.RECEIPT:
        context.update(
            amount=money_format(int(data["amount"]), currency),
            card_brand=str(data.get("card_brand") or "").title(),
            card_last4=str(data.get("card_last4") or ""),
            # The gift's entry in the campaign's transparency log, when logged already.
            log_entry=log_entry_ref(payment_id=int(data["payment_id"]))
            if data.get("payment_id")
            else None,
        )
    else:
        context.update(
            amount=money_format(int(data["amount"]), currency),
            refunded_total=money_format(int(data["refunded_total"]), currency),
            donated=money_format(pledge.amount, currency),
        )
    return context


def notice_message(notice: Notice) -> EmailMultiAlternatives:
    """The email of ``notice``: text and HTML parts, its fixed ``Message-ID``."""
    context = notice_context(notice)
    name = f"notices/{notice.kind}"
    subject = render_to_string(f"{name}_subject.txt", context).strip().replace("\n", " ")
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{name}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notice.recipient],
        headers={"Message-ID": notice.message_id, "Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(render_to_string(f"{name}.html", context), "text/html")
    return message
