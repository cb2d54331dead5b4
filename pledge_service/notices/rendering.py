"""A notice as an email: text and HTML parts from templates, read at send time.

The templates autoescape the HTML part (donor names and campaign titles are anyone's input);
the text part is plain text. No remote images, no tracking: the only link is the receipt's.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from careforall_common.money import money_format
from notices.clients.campaigns import campaign_title
from notices.models import Notice, NoticeKind
from pledges.receipts import receipt_token


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


def notice_context(notice: Notice) -> dict[str, Any]:
    pledge = notice.pledge
    data = notice.data
    currency = str(data.get("currency") or pledge.currency)
    context: dict[str, Any] = {
        "charity_name": settings.CHARITY_NAME,
        "donor_name": pledge.donor_name,
        "campaign_title": campaign_title(campaign_id=pledge.campaign_id),
        "date": notice.occurred_at,
        "receipt_link": receipt_link(notice),
        "pledge_id": pledge.pk,
        "reference": notice.key,
    }
    if notice.kind == NoticeKind.RECEIPT:
        context.update(
            amount=money_format(int(data["amount"]), currency),
            card_brand=str(data.get("card_brand") or "").title(),
            card_last4=str(data.get("card_last4") or ""),
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
