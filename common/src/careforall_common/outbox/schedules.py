"""The beat's safety-net sweeps, sent only when something is due (SPEC §4).

Beat looks every second, as before; what changed is where it looks. Instead of sending a relay
task each second (a broker message, a task run, four Flower events) whatever the outbox holds,
it asks the outbox one indexed question itself and sends the task only when a row is due: a lost
wake-up is still recovered within a second, and an idle platform costs almost nothing. Other
tables drained by a task the same way (pledge_service's donor emails) subclass ``WhenRowsDue``.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from datetime import datetime

from celery.schedules import schedstate, schedule
from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger(__name__)


class WhenRowsDue(schedule, ABC):
    """Every ``run_every`` seconds, due only while ``rows_due()`` finds a row to work on.

    A subclass names what it looks at (``what``) and asks its question in ``rows_due``; the
    class is what beat stores, so a subclass carries no state of its own.
    """

    what = "rows"

    @abstractmethod
    def rows_due(self) -> bool:
        """Whether a row waits for the task (one indexed query)."""

    def is_due(self, last_run_at: datetime) -> schedstate:
        due, next_in = super().is_due(last_run_at)
        if not due:
            return schedstate(due, next_in)
        try:
            if not self.rows_due():
                return schedstate(False, self.seconds)
        except Exception:  # the database cannot answer: send the task, as a plain sweep would
            logger.warning(
                "%s sweep: could not look at the %s", self.what, self.what, exc_info=True
            )
            close_old_connections()
        return schedstate(True, next_in)


class WhenOutboxDue(WhenRowsDue):
    """Every ``run_every`` seconds, due only while an undelivered row is due for delivery."""

    what = "outbox"

    def rows_due(self) -> bool:
        return outbox_has_due_rows()


def outbox_has_due_rows() -> bool:
    from careforall_common.outbox.models import OutboxEvent, OutboxStatus

    return OutboxEvent.objects.filter(
        status=OutboxStatus.PENDING, next_attempt_at__lte=timezone.now()
    ).exists()
