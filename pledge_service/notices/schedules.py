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
    # Imported when beat asks, not with this module: the settings import this module, before
    # the apps (and so the models) can load.
    from notices.selectors import notices_due_exist

    return notices_due_exist()
