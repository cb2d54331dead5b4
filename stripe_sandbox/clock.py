"""The sandbox's "now": the real time plus an offset that a test moves forward.

`POST /_sandbox/clock/advance` moves it (30 days in one call, say): the `created` of every object
and event made afterwards, and the age of every idempotency key, read this clock. Webhook
signatures keep the real time, which is what a receiver checks them against.
"""

from __future__ import annotations

import threading
import time

MAX_ADVANCE_S = 10 * 366 * 86_400


class Clock:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset_s = 0

    @property
    def offset_s(self) -> int:
        return self._offset_s

    def now(self) -> int:
        """Unix seconds, as objects and events carry them."""
        return int(time.time()) + self._offset_s

    def monotonic(self) -> float:
        """`time.monotonic()` moved by the offset: for ages, which only grow."""
        return time.monotonic() + self._offset_s

    def advance(self, seconds: int) -> None:
        with self._lock:
            self._offset_s += seconds

    def reset(self) -> None:
        with self._lock:
            self._offset_s = 0

    def as_json(self) -> dict[str, int]:
        return {"now": self.now(), "offset_s": self._offset_s}
