from __future__ import annotations

from django.db.models import Count, Q

from careforall_common.outbox.models import OutboxEvent, OutboxStatus


def outbox_waiting() -> dict[str, dict[str, int]]:
    """Rows not yet delivered and dead letters, per destination (one grouped query).

    The ``outbox_due`` index leads with ``status``: the count reads only the rows that wait,
    however many were delivered.
    """
    rows = (
        OutboxEvent.objects.filter(status__in=[OutboxStatus.PENDING, OutboxStatus.DEAD])
        .values("destination")
        .annotate(
            pending=Count("id", filter=Q(status=OutboxStatus.PENDING)),
            dead=Count("id", filter=Q(status=OutboxStatus.DEAD)),
        )
        .order_by("destination")
    )
    return {row["destination"]: {"pending": row["pending"], "dead": row["dead"]} for row in rows}
