"""Idempotency keys of ``POST /api/pledges`` (SPEC §3): who may repeat what, and the replay."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from careforall_common.problems import Problem
from pledges.models import IdempotencyRecord, Pledge

HEADER = "Idempotency-Key"
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


@dataclass(frozen=True)
class PledgeOutcome:
    """The answer to a create: its status and body (no receipt token), and whether replayed."""

    status: int
    body: dict[str, Any]
    pledge: Pledge
    replayed: bool

    @classmethod
    def of(cls, record: IdempotencyRecord, *, replayed: bool) -> PledgeOutcome:
        return cls(record.response_status, record.response_body, record.pledge, replayed)


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


def idempotency_request(
    *, key: str, user_id: int | None, email: str, body: Mapping[str, Any]
) -> IdempotencyRequest:
    """Scope ``key`` to the signed-in user, or to the guest's email, and fingerprint ``body``."""
    scope = f"user:{user_id}" if user_id is not None else f"guest:{email.lower()}"
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return IdempotencyRequest(scope, key, hashlib.sha256(canonical.encode()).hexdigest())


def idempotency_replay(*, idempotency: IdempotencyRequest) -> PledgeOutcome | None:
    """Return the committed answer to this key, None if there is none; 422 for another body."""
    record = (
        IdempotencyRecord.objects.select_related("pledge")
        .filter(scoped_key_hash=idempotency.scoped_key_hash)
        .first()
    )
    if record is None:
        return None
    if record.fingerprint != idempotency.fingerprint:
        raise Problem(422, f"This {HEADER} was already used with a different request body.")
    return PledgeOutcome.of(record, replayed=True)
