"""Stripe's `Idempotency-Key`: one effect per key, the first result replayed for 24 hours.

Rules (https://docs.stripe.com/api/idempotent_requests): keys are scoped to the API key; the
result of a request that started executing is saved, whatever its status, and replayed with
`Idempotent-Replayed: true`; a request refused by validation saves nothing; the same key with
other parameters, or on another endpoint, is an `idempotency_error`. A request that arrives while
the first with its key is still running is refused with Stripe's 409 `idempotency_key_in_use`
(and saves nothing: the SDK retries a 409 into the replay). A key is forgotten once older than
the TTL on the sandbox's clock (clock.py), after which it executes afresh.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from .clock import Clock
from .errors import idempotency_error, invalid_request

MAX_KEY_LENGTH = 255


@dataclass(frozen=True, slots=True)
class Saved:
    status: int
    body: bytes
    request_id: str


@dataclass(slots=True, eq=False)
class Execution:
    """The first request with a key; `finish` saves its result. Kept 24 h, so kept small."""

    endpoint: str
    fingerprint: bytes  # of the parameters
    created: float  # Clock.monotonic()
    saved: Saved | None = None  # None: still executing


class IdempotencyStore:
    def __init__(self, *, ttl_s: float, max_keys: int, clock: Clock) -> None:
        self._clock = clock
        self._ttl_s = ttl_s
        self._max_keys = max_keys
        self._lock = threading.Lock()
        self._records: OrderedDict[tuple[str, str], Execution] = OrderedDict()
        self.replays = 0

    def __len__(self) -> int:
        return len(self._records)

    def reset(self) -> None:
        with self._lock:
            self._records.clear()
            self.replays = 0

    def claim(
        self, scope: tuple[str, str], endpoint: str, params: dict[str, Any]
    ) -> Execution | Saved:
        """Become the request that executes under this key, or get the saved result to replay."""
        key = scope[1]
        if len(key) > MAX_KEY_LENGTH:
            raise invalid_request(
                f"Invalid Idempotency-Key: it must be at most {MAX_KEY_LENGTH} characters long.",
                param="Idempotency-Key",
            )
        fingerprint = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).digest()
        with self._lock:
            now = self._clock.monotonic()
            self._expire(now)
            record = self._records.get(scope)
            if record is not None and record.saved is not None and self._expired(record, now):
                del self._records[scope]  # behind a key still executing, the sweep missed it
                record = None
            if record is None:
                record = Execution(endpoint, fingerprint, now)
                self._records[scope] = record
                return record
            _compare(record, key, endpoint, fingerprint)
            if record.saved is None:
                raise idempotency_error(
                    "There is currently another in-progress request using this Idempotent Key "
                    "(that probably means you submitted twice, and the other request is still "
                    "going through): " + key + ". Please try again later.",
                    status=409,
                    code="idempotency_key_in_use",
                    kind="invalid_request_error",
                )
            self.replays += 1
            return record.saved

    def finish(self, scope: tuple[str, str], record: Execution, saved: Saved | None) -> None:
        """Save the executed request's result, or forget the key (None: refused by validation)."""
        with self._lock:
            if saved is None:
                if self._records.get(scope) is record:
                    del self._records[scope]
            else:
                record.saved = saved

    def _expire(self, now: float) -> None:
        records = self._records
        while records:
            scope, record = next(iter(records.items()))
            too_many = len(records) > self._max_keys
            if not too_many and not self._expired(record, now):
                return
            if record.saved is None and not too_many:
                return  # still executing
            del records[scope]

    def _expired(self, record: Execution, now: float) -> bool:
        return now - record.created >= self._ttl_s


def _compare(record: Execution, key: str, endpoint: str, fingerprint: bytes) -> None:
    if record.endpoint != endpoint:
        raise idempotency_error(
            "Keys for idempotent requests can only be used for the same endpoint they were "
            f"first used for ('{record.endpoint}' vs '{endpoint}'). Try using a key other than "
            f"'{key}' if you meant to execute a different request."
        )
    if record.fingerprint != fingerprint:
        raise idempotency_error(
            "Keys for idempotent requests can only be used with the same parameters they were "
            f"first used with. Try using a key other than '{key}' if you meant to execute a "
            "different request."
        )
