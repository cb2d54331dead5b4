"""The beat's sweep of donor emails, sent only when a notice is due (like the outbox's).

Beat looks every few seconds and sends a task only when a pending notice is due and not leased:
an idle platform costs one indexed query per look, no task.
"""

from __future__ import annotations

from careforall_common.outbox.schedules import WhenRowsDue


class WhenNoticesDue(WhenRowsDue):
    """Every ``run_every`` seconds, due only while a notice is due for sending."""

    what = "notices"

    def rows_due(self) -> bool:
        return notices_have_due_rows()


def notices_have_due_rows() -> bool:
    from notices.models import Notice
    from notices.services import due

    return Notice.objects.filter(due()).exists()
