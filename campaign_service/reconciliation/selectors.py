from __future__ import annotations

from reconciliation.models import ReconciliationRun


def reconciliation_last() -> ReconciliationRun | None:
    """The run that finished last, or None before the first."""
    return ReconciliationRun.objects.order_by("-finished_at", "-pk").first()
