"""Idempotency keys of the create endpoints (SPEC §3): the key, its scope, the fingerprint, and
the one runner every idempotent create goes through.

A service keeps its own record model (``IdempotencyRecordBase`` plus a link to what the request
made) and inserts it (``record_insert``) in the transaction that makes the thing: the unique
``scoped_key_hash`` turns a repeat into an ``IntegrityError``, after which the committed answer is
replayed. ``idempotent_create`` owns that loop for every create (pledges, payments, refunds,
plans): the insert, the replay after a duplicate key, the retry after a deadlock, and the 409
while another request holds the key.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import IntegrityError, OperationalError, models
from django.utils import timezone

from careforall_common.db_errors import DEADLOCK, DUPLICATE_KEY, LOCK_WAIT_TIMEOUT, error_code
from careforall_common.problems import Problem
from careforall_common.rows import row_insert

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
IN_PROGRESS = f"A request with this {HEADER} is in progress; retry shortly."
OTHER_BODY = f"This {HEADER} was already used with a different request body."
CREATE_ATTEMPTS = 3
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


R = TypeVar("R", bound=IdempotencyRecordBase)


@dataclass(frozen=True)
class Outcome(Generic[R]):
    """The answer to a create: the record's status and body, and whether it repeats an earlier one.

    ``record`` is the committed idempotency record, with its link to what the create made.
    """

    status: int
    body: dict[str, Any]
    record: R
    replayed: bool

    @classmethod
    def of(cls, record: R, *, replayed: bool) -> Outcome[R]:
        return cls(record.response_status, record.response_body, record, replayed)


def record_insert(
    model: type[R],
    *,
    idempotency: IdempotencyRequest,
    body: dict[str, Any],
    status: int = 201,
    **links: Any,
) -> R:
    """Insert the record of ``idempotency`` in the caller's transaction; ``links``: what it made.

    A repeat of the key fails here with the duplicate-key ``IntegrityError`` that
    ``idempotent_create`` turns into a replay. One plain INSERT (``careforall_common.rows``): it
    runs on every create.
    """
    return row_insert(
        model,
        scope=idempotency.scope,
        key=idempotency.key,
        scoped_key_hash=idempotency.scoped_key_hash,
        fingerprint=idempotency.fingerprint,
        response_status=status,
        response_body=body,
        **links,
    )


def record_find(model: type[R], *, idempotency: IdempotencyRequest, related: str) -> R | None:
    """The committed record of this key, with its ``related`` object; 422 for another body."""
    record = (
        model._default_manager.select_related(related)
        .filter(scoped_key_hash=idempotency.scoped_key_hash)
        .first()
    )
    if record is not None and record.fingerprint != idempotency.fingerprint:
        raise Problem(422, OTHER_BODY)
    return record


def replay_or_raise(find: Callable[[], R | None], refusal: Problem) -> Outcome[R]:
    """The earlier answer to the key when there is one, else ``refusal``.

    For refusals decided before the create (404, 409, 422, 503): a repeat still gets the answer
    its first request got, e.g. its 201 after the campaign closed.
    """
    earlier = find()
    if earlier is None:
        raise refusal
    return Outcome.of(earlier, replayed=True)


def idempotent_create(
    *,
    insert: Callable[[], R],
    find: Callable[[], R | None],
    conflict: Callable[[], None] | None = None,
    look_first: bool = False,
    attempts: int = CREATE_ATTEMPTS,
) -> tuple[R, bool]:
    """Run ``insert`` once for the key, or find the answer its first request committed.

    Return the record and whether it is a repeat's. ``insert`` is one durable transaction that
    makes the thing, its events and its record (``record_insert``); ``find`` reads the committed
    record of the key (``record_find``). No read precedes the insert unless ``look_first`` (a
    create that locks shared rows before its insert looks for a replay first):

    - a duplicate key means the key's record committed: it is found and replayed. When there is
      none, ``conflict`` may raise the refusal of another unique index (one payment per pledge);
      otherwise the record that refused the insert is gone again (rolled back, pruned) and the
      insert runs once more;
    - a deadlock (possible between waiters when the key's holder rolls back) is retried;
    - a lock wait timeout, or contention past ``attempts``, is 409: the key is in progress.
    """
    if look_first and (earlier := find()) is not None:
        return earlier, True
    for attempt in range(1, attempts + 1):
        try:
            return insert(), False
        except IntegrityError as error:
            if error_code(error) != DUPLICATE_KEY:
                raise
            earlier = find()
            if earlier is not None:
                return earlier, True
            if conflict is not None:
                conflict()
        except OperationalError as error:
            code = error_code(error)
            if code == LOCK_WAIT_TIMEOUT:
                break
            if code != DEADLOCK:
                raise
            logger.info("idempotent create: deadlock on attempt %d, retrying", attempt)
    raise Problem(409, IN_PROGRESS)


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
