"""One way to claim rows for work: a lease with a token, taken by a conditional update.

Several workers (replicas, Celery processes, beat duplicates) may look at the same due rows. A
row is theirs only when their conditional ``UPDATE`` changed it: the database decides, no lock is
held while the work runs, and a worker that dies leaves a lease that runs out, after which the
row is due again. Rows that carry a lease have ``lease_until`` and ``lease_token`` columns; a row
claimed by moving its next due time (``claim_if_unchanged``) needs no extra column.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone


@dataclass(frozen=True)
class Lease:
    """A claim on rows until ``until``, recognised by ``token`` when the work is recorded."""

    token: uuid.UUID
    until: datetime

    @classmethod
    def new(cls, seconds: float) -> Lease:
        return cls(uuid.uuid4(), timezone.now() + timedelta(seconds=seconds))


def lease_free_q(now: datetime | None = None) -> Q:
    """Rows nobody holds: never leased, or the lease ran out."""
    now = now or timezone.now()
    return Q(lease_until__isnull=True) | Q(lease_until__lt=now)


def lease_take(queryset: QuerySet[Any], *, lease: Lease) -> int:
    """Give ``lease`` to the rows of ``queryset`` (whose filter is the claim's condition)."""
    return queryset.update(lease_until=lease.until, lease_token=lease.token)


def lease_claim_one(queryset: QuerySet[Any], *, pk: Any, lease: Lease) -> bool:
    """Claim one row that still matches ``queryset`` and that nobody holds; return whether won."""
    return lease_take(queryset.filter(lease_free_q(), pk=pk), lease=lease) == 1


def lease_release(queryset: QuerySet[Any], *, token: uuid.UUID, **changes: Any) -> int:
    """Record the work of the lease ``token`` (``changes``) and end it; rows another holds stay."""
    return queryset.filter(lease_token=token).update(lease_until=None, lease_token=None, **changes)


def claim_if_unchanged(
    queryset: QuerySet[Any], *, pk: Any, field: str, expected: Any, new: Any
) -> bool:
    """Claim a row by moving ``field`` from the ``expected`` value this worker read to ``new``.

    Exactly one of the workers that read the same value wins; the others see it moved.
    """
    return queryset.filter(pk=pk, **{field: expected}).update(**{field: new}) == 1
