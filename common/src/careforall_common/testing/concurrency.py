"""Racing requests in tests: one thread per request, each with its own database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connection

T = TypeVar("T")


def race(calls: list[Callable[[], T]]) -> list[T]:
    """Run every call in its own thread, all released at once; return their results in order.

    Each thread closes its own database connection at the end, so committed transactions and
    real lock waits are what the test sees.
    """
    results: list[T | None] = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = calls[index]()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results  # type: ignore[return-value]
