"""The beat's safety-net sweep, sent only when the outbox has a row due (SPEC §4).

Beat looks every second, as before; what changed is where it looks. Instead of sending a relay
task each second (a broker message, a task run, four Flower events) whatever the outbox holds,
it asks the outbox one indexed question itself and sends the task only when a row is due: a lost
wake-up is still recovered within a second, and an idle platform costs almost nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime

from celery.schedules import schedstate, schedule
from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger(__name__)


class WhenOutboxDue(schedule):
    """Every ``run_every`` seconds, due only while an undelivered row is due for delivery."""

    def is_due(self, last_run_at: datetime) -> schedstate:
        due, next_in = super().is_due(last_run_at)
        if not due:
            return schedstate(due, next_in)
        try:
            if not outbox_has_due_rows():
                return schedstate(False, self.seconds)
        except Exception:  # the database cannot answer: send the task, as a plain sweep would
            logger.warning("outbox sweep: could not look at the outbox", exc_info=True)
            close_old_connections()
        return schedstate(True, next_in)


def outbox_has_due_rows() -> bool:
    from careforall_common.outbox.models import OutboxEvent, OutboxStatus

    return OutboxEvent.objects.filter(
        status=OutboxStatus.PENDING, next_attempt_at__lte=timezone.now()
    ).exists()
