"""Reads of the donor emails: which notices are due for sending."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from careforall_common.leases import lease_free_q
from notices.models import Notice, NoticeStatus


def notices_pending_due() -> QuerySet[Notice]:
    """Pending notices whose time has come, leased or not."""
    return Notice.objects.filter(status=NoticeStatus.PENDING, next_attempt_at__lte=timezone.now())


def notices_due_exist() -> bool:
    """Whether a notice waits for a sender (one indexed query, for the beat's sweep)."""
    return notices_pending_due().filter(lease_free_q()).exists()


def notice_due_next(*, exclude: set[int]) -> int | None:
    """The id of the due notice nobody holds to send first, None when none is due."""
    return (
        notices_pending_due()
        .filter(lease_free_q())
        .exclude(pk__in=exclude)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)
        .first()
    )


def notice_get_for_send(*, notice_id: int) -> Notice:
    """The notice with its pledge (and plan), which the email is rendered from."""
    return Notice.objects.select_related("pledge", "plan").get(pk=notice_id)
