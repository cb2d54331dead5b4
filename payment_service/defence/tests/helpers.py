"""Helpers of the defence's tests (and of every app's: its Redis keys, conftest.py)."""

from __future__ import annotations

from typing import Any


def defence_redis(monkeypatch: Any, settings: Any, db: int) -> Any:
    """Point the card-testing defence's Redis keys (limits, challenge mode) at database ``db``
    for one test: no test switches the challenge on for a platform running on this machine."""
    import redis

    from careforall_common import ratelimit
    from careforall_common import redis_client as shared

    base, _, last = settings.REDIS_URL.rpartition("/")
    url = f"{base}/{db}" if base and last.isdigit() else f"{settings.REDIS_URL.rstrip('/')}/{db}"
    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    monkeypatch.setattr(shared, "_client", client)
    monkeypatch.setattr(ratelimit, "_scripts", {})  # scripts are bound to their client
    return client
