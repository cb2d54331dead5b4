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
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from careforall_common.celery import task_send
from careforall_common.leases import Lease, lease_claim_one, lease_release
from careforall_common.outbox.relay import backoff as relay_backoff
from notices.models import Notice, NoticeKind, NoticeStatus
from notices.rendering import notice_message
from notices.selectors import notice_due_next, notice_get_for_send, notices_pending_due
from pledges.models import Pledge

logger = logging.getLogger(__name__)

# The sending task (``notices.tasks``), sent by name: this layer imports no task. A wake-up not
# taken within its expiry is dropped; the beat sweep covers it.
SEND_TASK = "notices.send"
SEND_TASK_EXPIRES = 30


def lease_seconds() -> float:
    """How long a claim holds a row (``NOTICE_LEASE_SECONDS``).

    The sending task's hard time limit is half of it (``notices.tasks``): a sender that still runs
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
    plan_id: int | None = None,
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
                plan_id=plan_id,
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
        task_send(SEND_TASK, retry=False, expires=SEND_TASK_EXPIRES)
    except Exception:
        logger.warning(
            "notices: could not wake the sender; the beat sweep will send", exc_info=True
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
        notice, lease = claimed
        if notice_send(notice, lease=lease):
            sent += 1
        else:
            skipped.add(notice.pk)  # retried later, by another task: not again in this one
    return sent


def notice_claim(*, exclude: set[int] | None = None) -> tuple[Notice, Lease] | None:
    """Lease one due notice with a conditional update; return it with its lease."""
    for _ in range(10):  # another sender may win a candidate: look again
        candidate = notice_due_next(exclude=exclude or set())
        if candidate is None:
            return None
        lease = Lease.new(lease_seconds())
        if lease_claim_one(notices_pending_due(), pk=candidate, lease=lease):
            return notice_get_for_send(notice_id=candidate), lease
    return None


def notice_send(notice: Notice, *, lease: Lease) -> bool:
    """Render and send the leased ``notice``, then record the outcome; return whether it went."""
    try:
        message = notice_message(notice)  # asks campaign_service for the title
        message.send()
    except Exception as error:
        notice_retry_later(notice, lease=lease, error=error)
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


def notice_retry_later(notice: Notice, *, lease: Lease, error: Exception) -> None:
    """Put the notice back for a later try, unless its lease was lost meanwhile."""
    attempts = notice.attempts + 1
    delay = backoff(attempts)
    lease_release(
        Notice.objects.filter(pk=notice.pk),
        token=lease.token,
        attempts=attempts,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
        last_error=f"{error.__class__.__name__}: {error}"[:2000],
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
