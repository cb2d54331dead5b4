"""Beat's look for logs to sign: due only while a log grew since its last checkpoint."""

from __future__ import annotations

from careforall_common.outbox.schedules import WhenRowsDue


class WhenCheckpointDue(WhenRowsDue):
    what = "transparency logs"

    def rows_due(self) -> bool:
        from transparency.models import TransparencyLog  # beat loads this before the apps

        return TransparencyLog.objects.filter(checkpoint_due=True).exists()
