"""Heartbeats of a service's Celery workers and beat, for their health (issue 12).

Each worker and each beat writes its heartbeat from its own loop, so a process that is up but
stuck stops beating: a worker from its timer (``WorkerHeartbeat``, a bootstep of every worker
``make_celery`` makes), beat from its tick (``BeatScheduler``, ``CELERY_BEAT_SCHEDULER``). A
heartbeat is two writes every ``HEARTBEAT_SECONDS``:

- a Redis key ``careforall:heartbeat:<service>:<role>:<node>`` holding the time, expiring after
  ``HEARTBEAT_TTL_SECONDS``: ``GET /internal/health/workers`` (``careforall_common.health``)
  reads them, so a service's health shows whether any worker and its beat are alive anywhere;
- the modification time of a file ``$TMPDIR/careforall-<service>-<role>.heartbeat``: a
  container's or pod's own healthcheck compares it with the clock (a one-line ``python -c``),
  without importing Django or asking the broker as ``celery inspect ping`` does.

Nothing else runs: no task, no thread. An idle worker's timer and beat's tick already wake.
"""

from __future__ import annotations

import logging
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from celery import bootsteps
from celery.beat import PersistentScheduler

logger = logging.getLogger(__name__)

KEY_PREFIX = "careforall:heartbeat"
ROLES = ("worker", "beat")


def _settings() -> tuple[str, float, int]:
    from django.conf import settings

    from careforall_common.conf import careforall_settings

    return (
        getattr(settings, "SERVICE_NAME", ""),
        float(careforall_settings.HEARTBEAT_SECONDS),
        int(careforall_settings.HEARTBEAT_TTL_SECONDS),
    )


def heartbeat_file(service: str, role: str) -> Path:
    """The file whose modification time is ``role``'s last heartbeat in this container."""
    return Path(tempfile.gettempdir()) / f"careforall-{service}-{role}.heartbeat"


def heartbeat_write(role: str, node: str) -> None:
    """Record that ``node`` (a ``role`` of this service) is alive now; never raises."""
    from careforall_common.redis_client import redis_client

    service, _, ttl = _settings()
    now = time.time()
    try:
        heartbeat_file(service, role).touch()
    except OSError as error:
        logger.warning("heartbeat: cannot touch the %s file: %s", role, error)
    try:
        redis_client().set(f"{KEY_PREFIX}:{service}:{role}:{node}", f"{now:.3f}", ex=ttl)
    except Exception as error:  # the broker's Redis away: the worker cannot work either
        logger.warning("heartbeat: cannot write the %s key: %s", role, error)


def heartbeat_clear(role: str, node: str) -> None:
    """Forget ``node``'s heartbeat (a clean stop); never raises."""
    from careforall_common.redis_client import redis_client

    service = _settings()[0]
    try:
        redis_client().delete(f"{KEY_PREFIX}:{service}:{role}:{node}")
    except Exception as error:
        logger.warning("heartbeat: cannot clear the %s key: %s", role, error)


@dataclass(frozen=True)
class Heartbeat:
    role: str
    node: str
    age_seconds: float


def heartbeats_read(service: str) -> list[Heartbeat]:
    """The live heartbeats of ``service``'s workers and beat (Redis errors propagate)."""
    from careforall_common.redis_client import redis_client

    client = redis_client()
    keys = sorted(client.scan_iter(match=f"{KEY_PREFIX}:{service}:*", count=100))
    values = client.mget(keys) if keys else []
    now = time.time()
    found = []
    for key, value in zip(keys, values, strict=True):
        if value is None:  # expired between the scan and the read
            continue
        role, node = key.decode().removeprefix(f"{KEY_PREFIX}:{service}:").split(":", 1)
        found.append(Heartbeat(role, node, round(max(0.0, now - float(value)), 1)))
    return found


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Beat from the worker's own timer: a blocked event loop stops the heartbeat."""

    requires = ("celery.worker.components:Timer",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.timer_entry: Any = None

    def start(self, parent: Any) -> None:
        interval = _settings()[1]
        heartbeat_write("worker", parent.hostname)
        self.timer_entry = parent.timer.call_repeatedly(
            interval, heartbeat_write, ("worker", parent.hostname)
        )

    def stop(self, parent: Any) -> None:
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None
            heartbeat_clear("worker", parent.hostname)

    terminate = stop  # a cold shutdown forgets it too


class BeatScheduler(PersistentScheduler):
    """Celery's default scheduler, beating from its tick (never sleeping past a heartbeat)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.heartbeat_at = 0.0
        self.node = socket.gethostname()

    def tick(self, *args: Any, **kwargs: Any) -> float:
        interval = _settings()[1]
        now = time.monotonic()
        if now - self.heartbeat_at >= interval:
            self.heartbeat_at = now
            heartbeat_write("beat", self.node)
        return min(float(super().tick(*args, **kwargs)), interval)

    def close(self) -> None:
        heartbeat_clear("beat", self.node)
        super().close()
