"""Waking the relay after a commit: from a thread of each process, debounced in Redis."""

from __future__ import annotations

import logging
import os
import threading
import time

from django.conf import settings
from django.db import transaction

from careforall_common.celery import task_send
from careforall_common.conf import careforall_settings
from careforall_common.redis_client import redis_client as _redis

logger = logging.getLogger(__name__)

RELAY_TASK = "careforall.outbox_relay"  # outbox/tasks.py registers it
RELAY_TASK_EXPIRES = 10  # seconds: a wake-up that waited longer is stale; the sweep covers it


def wake_after_commit() -> None:
    """Wake the relay once the caller's transaction commits (from a thread of its own)."""
    transaction.on_commit(_waker.wake)


class _Waker:
    """Wakes the relay from a thread of its own, so no request waits on Redis or the broker.

    ``wake`` only sets a flag; the thread, started on first use in each process, calls
    ``wake_relay`` once per flag it sees set. Commits that land while it is calling share the
    next call, which starts after them: no commit is left without a wake-up that follows it.
    """

    def __init__(self) -> None:
        self._pending = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def wake(self) -> None:
        self._pending.set()
        if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
            self._start()

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
                return
            self._pid = os.getpid()  # a forked child starts its own thread
            self._thread = threading.Thread(target=self._run, name="outbox-waker", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            self._pending.wait()
            self._pending.clear()
            wake_relay()


_waker = _Waker()
_wake_failed_at = 0.0


def wake_relay() -> None:
    """Start a relay task now, unless one was started moments ago (debounced in Redis).

    Never raises and never blocks a request for long: the rows are committed, and the beat sweep
    delivers them if Redis or the broker cannot be reached.
    """
    global _wake_failed_at
    if time.monotonic() - _wake_failed_at < careforall_settings.OUTBOX_WAKE_PAUSE:
        return
    try:
        if _redis().set(_wake_key(), "1", nx=True, px=careforall_settings.OUTBOX_WAKE_DEBOUNCE_MS):
            task_send(RELAY_TASK, expires=RELAY_TASK_EXPIRES, retry=False)
    except Exception:  # any broker or Redis failure: the sweep covers it
        _wake_failed_at = time.monotonic()
        logger.warning(
            "outbox: could not wake the relay; the beat sweep will deliver", exc_info=True
        )


def clear_wake() -> None:
    """Let the next commit wake a relay again (called by a relay before its last look)."""
    try:
        _redis().delete(_wake_key())
    except Exception:
        logger.warning("outbox: could not clear the wake-up key", exc_info=True)


def _wake_key() -> str:
    return f"careforall:outbox-wake:{settings.SERVICE_NAME}"
