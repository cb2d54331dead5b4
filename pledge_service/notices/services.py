"""Donor emails: inserted once with their payment event, sent once by a leased claim.

The exactly-once argument (docs/payments.md "Receipts"):

- one row per ``(kind, key)``: the unique constraint, inside the inbox's transaction, turns a
  second event for the same payment or refund into no row at all, and a rolled-back handler
  into none;
- one sender per row at a time: a sender takes the row with a conditional UPDATE (pending, due,
  not leased by anyone else) that sets its own lease token; the database lets one UPDATE win.
  The lease outlasts a task (its hard time limit is half the lease), so a live sender never
  loses it, and a dead one's row is taken again once the lease expires;
- "sent" is written in its own autocommit UPDATE right after the SMTP server accepted the DATA.
  A crash between the two is the one window in which the email goes out twice, with the same
  ``Message-ID`` both times.

A failure (the SMTP server, the campaign's title) puts the row back with capped exponential
backoff, forever: a receipt is never dropped.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from careforall_common.events import PaymentCaptured, PaymentRefunded
from careforall_common.outbox.relay import backoff as relay_backoff
from notices.models import Notice, NoticeKind, NoticeStatus
from pledges.models import Pledge

logger = logging.getLogger(__name__)


def lease_seconds() -> float:
    """How long a claim holds a row (``NOTICE_LEASE_SECONDS``).

    The sending task's hard time limit is half of it (notices/tasks.py): a sender that still runs
    holds its lease, and a killed sender's row is free again once it ends.
    """
    return float(settings.NOTICE_LEASE_SECONDS)


def drain_seconds() -> float:
    """A task stops taking rows after this, well before its soft time limit (0.4 of the lease)
    could interrupt a send between the server's acceptance and the "sent" commit."""
    return lease_seconds() / 4


def notice_enqueue(
    *,
    kind: NoticeKind,
    key: int | str,
    pledge: Pledge | int,
    occurred_at: datetime,
    data: dict[str, Any],
) -> Notice | None:
    """Insert the email ``(kind, key)`` unless it exists; return the new row, or None.

    The caller holds the transaction (the inbox's). The row is sent after that commits: a task
    is woken then, and the beat sweep sends it if the wake-up is lost.
    """
    if not isinstance(pledge, Pledge):
        pledge = Pledge.objects.get(pk=pledge)
    if Notice.objects.filter(kind=kind, key=str(key)).exists():
        return None
    try:
        with transaction.atomic():  # a savepoint: a concurrent insert loses only this row
            notice = Notice.objects.create(
                kind=kind,
                key=str(key),
                pledge=pledge,
                recipient=pledge.donor_email,
                occurred_at=occurred_at,
                data=data,
                message_id=message_id(kind=kind, key=key),
                next_attempt_at=timezone.now(),
            )
    except IntegrityError:
        return None
    transaction.on_commit(wake_sender)
    return notice


def message_id(*, kind: str, key: int | str) -> str:
    """The email's ``Message-ID``: the same for every copy of one notice."""
    return f"<{kind}-{key}@{settings.NOTICE_MESSAGE_ID_DOMAIN}>"


def wake_sender() -> None:
    """Start a sending task now; never raises (the beat sweep covers a lost wake-up)."""
    try:
        from notices.tasks import notices_send

        notices_send.apply_async(retry=False)
    except Exception:
        logger.warning(
            "notices: could not wake the sender; the beat sweep will send", exc_info=True
        )


def due() -> Q:
    now = timezone.now()
    return Q(status=NoticeStatus.PENDING, next_attempt_at__lte=now) & (
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )


def notices_send_due() -> int:
    """Send due notices until none is due or the drain time is up; return how many were sent."""
    deadline = time.monotonic() + drain_seconds()
    sent = 0
    skipped: set[int] = set()
    while time.monotonic() < deadline:
        claimed = notice_claim(exclude=skipped)
        if claimed is None:
            break
        notice, token = claimed
        if notice_send(notice, token=token):
            sent += 1
        else:
            skipped.add(notice.pk)  # retried later, by another task: not again in this one
    return sent


def notice_claim(*, exclude: set[int] | None = None) -> tuple[Notice, uuid.UUID] | None:
    """Lease one due notice with a conditional update; return it with the lease token."""
    for _ in range(10):  # another sender may win a candidate: look again
        candidate = (
            Notice.objects.filter(due())
            .exclude(pk__in=exclude or ())
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)
            .first()
        )
        if candidate is None:
            return None
        token = uuid.uuid4()
        lease_until = timezone.now() + timedelta(seconds=lease_seconds())
        won = Notice.objects.filter(due(), pk=candidate).update(
            lease_until=lease_until, lease_token=token
        )
        if won:
            return Notice.objects.select_related("pledge").get(pk=candidate), token
    return None


def notice_send(notice: Notice, *, token: uuid.UUID) -> bool:
    """Render and send the leased ``notice``, then record the outcome; return whether it went."""
    from notices.rendering import notice_message

    try:
        message = notice_message(notice)  # asks campaign_service for the title
        message.send()
    except Exception as error:
        notice_retry_later(notice, token=token, error=error)
        return False
    # The SMTP server has the message: record it now, in one statement (the duplicate window).
    Notice.objects.filter(pk=notice.pk).update(
        status=NoticeStatus.SENT,
        sent_at=timezone.now(),
        attempts=notice.attempts + 1,
        last_error="",
        lease_until=None,
        lease_token=None,
    )
    return True


def notice_retry_later(notice: Notice, *, token: uuid.UUID, error: Exception) -> None:
    attempts = notice.attempts + 1
    delay = backoff(attempts)
    Notice.objects.filter(pk=notice.pk, lease_token=token).update(
        attempts=attempts,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
        last_error=f"{error.__class__.__name__}: {error}"[:2000],
        lease_until=None,
        lease_token=None,
    )
    logger.warning(
        "notices: %s %s not sent (attempt %d), again in %.0f s: %s",
        notice.kind,
        notice.key,
        attempts,
        delay,
        error,
    )


def backoff(attempts: int) -> float:
    """Seconds before try ``attempts + 1``: the relay's backoff, with the emails' base and cap."""
    return relay_backoff(
        attempts, base=settings.NOTICE_BACKOFF_BASE, cap=settings.NOTICE_BACKOFF_CAP
    )


def receipt_enqueue(*, event: PaymentCaptured, occurred_at: datetime) -> Notice | None:
    """The receipt of a captured payment (``PAYMENT_CAPTURED``): one per payment id."""
    return notice_enqueue(
        kind=NoticeKind.RECEIPT,
        key=event.payment_id,
        pledge=event.pledge_id,
        occurred_at=occurred_at,
        data={
            "payment_id": event.payment_id,
            "amount": event.amount,
            "currency": event.currency,
            "card_brand": event.card_brand,
            "card_last4": event.card_last4,
        },
    )


def refund_notice_enqueue(*, event: PaymentRefunded, occurred_at: datetime) -> Notice | None:
    """The notice of one refund (``PAYMENT_REFUNDED``): one per refund id."""
    return notice_enqueue(
        kind=NoticeKind.REFUND,
        key=event.refund_id,
        pledge=event.pledge_id,
        occurred_at=occurred_at,
        data={
            "payment_id": event.payment_id,
            "refund_id": event.refund_id,
            "amount": event.amount,
            "refunded_total": event.refunded_total,
            "currency": event.currency,
        },
    )
