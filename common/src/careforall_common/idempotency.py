"""Idempotency keys of the create endpoints (SPEC §3): the key, its scope, the fingerprint.

A service keeps its own record model (``IdempotencyRecordBase`` plus a link to what the request
made) and inserts it in the transaction that makes the thing: the unique ``scoped_key_hash``
turns a repeat into an ``IntegrityError``, after which the committed answer is replayed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from careforall_common.problems import Problem

HEADER = "Idempotency-Key"
MIN_RETENTION_HOURS = 24  # SPEC §3: keys are kept at least 24 hours
_KEY = re.compile(r"[\x20-\x7e]{1,255}")


@dataclass(frozen=True)
class IdempotencyRequest:
    """One caller's key and the fingerprint of the body sent with it."""

    scope: str
    key: str
    fingerprint: str

    @property
    def scoped_key_hash(self) -> str:
        # The NUL cannot occur in a scope, so distinct (scope, key) pairs never share a digest.
        return hashlib.sha256(f"{self.scope}\0{self.key}".encode()).hexdigest()


def idempotency_key_parse(value: str | None) -> str:
    """Return the header's key, or raise 400 unless it is 1 to 255 printable ASCII characters."""
    if value is None or not _KEY.fullmatch(value):
        message = "Required: 1 to 255 printable ASCII characters."
        raise Problem(
            400,
            f"The {HEADER} header is missing or invalid.",
            errors=[{"field": HEADER, "message": message}],
        )
    return value


def idempotency_request(*, key: str, scope: str, body: Mapping[str, Any]) -> IdempotencyRequest:
    """Fingerprint ``body`` (canonical JSON) for ``key`` within ``scope``."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return IdempotencyRequest(scope, key, hashlib.sha256(canonical.encode()).hexdigest())


class IdempotencyRecordBase(models.Model):
    """The answer given to one ``Idempotency-Key`` of one caller, committed with its effect.

    Uniqueness is enforced on ``scoped_key_hash`` = SHA-256 of scope and key rather than on the
    two columns: the databases' collation (``utf8mb4_unicode_ci``) compares case-insensitively
    and ignores trailing spaces, which would make ``"Key"``, ``"key"`` and ``"key "`` one key.
    """

    scope = models.CharField(max_length=261)
    key = models.CharField(max_length=255)
    scoped_key_hash = models.CharField(max_length=64, unique=True)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of the canonical JSON body
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"


def idempotency_prune(model: type[IdempotencyRecordBase], *, batch_size: int = 1000) -> int:
    """Delete records past ``IDEMPOTENCY_RETENTION_HOURS``, in small batches; return how many.

    Small batches, so that no delete holds many locks against the create path.
    """
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_RETENTION_HOURS)
    deleted = 0
    while True:
        ids = list(
            model._default_manager.filter(created_at__lt=cutoff)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return deleted
        deleted += model._default_manager.filter(pk__in=ids).delete()[0]
