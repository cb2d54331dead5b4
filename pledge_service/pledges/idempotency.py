"""Idempotency keys of ``POST /api/pledges`` (SPEC §3): who may repeat what, and the replay."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from careforall_common.idempotency import HEADER, IdempotencyRequest, idempotency_request
from careforall_common.problems import Problem
from pledges.models import IdempotencyRecord, Pledge


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


def pledge_idempotency(
    *, key: str, user_id: int | None, email: str, body: Mapping[str, Any]
) -> IdempotencyRequest:
    """Scope ``key`` to the signed-in user, or to the guest's email, and fingerprint ``body``."""
    scope = f"user:{user_id}" if user_id is not None else f"guest:{email.lower()}"
    return idempotency_request(key=key, scope=scope, body=body)


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
