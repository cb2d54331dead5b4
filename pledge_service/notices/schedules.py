"""The beat's sweep of donor emails, sent only when a notice is due (like the outbox's).

Beat looks every few seconds and sends a task only when a pending notice is due and not leased:
an idle platform costs one indexed query per look, no task.
"""

from __future__ import annotations

import logging
from datetime import datetime

from celery.schedules import schedstate, schedule
from django.db import close_old_connections

logger = logging.getLogger(__name__)


class WhenNoticesDue(schedule):
    """Every ``run_every`` seconds, due only while a notice is due for sending."""

    def is_due(self, last_run_at: datetime) -> schedstate:
        due, next_in = super().is_due(last_run_at)
        if not due:
            return schedstate(due, next_in)
        try:
            if not notices_have_due_rows():
                return schedstate(False, self.seconds)
        except Exception:  # the database cannot answer: send the task, as a plain sweep would
            logger.warning("notices sweep: could not look at the notices", exc_info=True)
            close_old_connections()
        return schedstate(True, next_in)


def notices_have_due_rows() -> bool:
    from notices.models import Notice
    from notices.services import due

    return Notice.objects.filter(due()).exists()
