"""The process's Redis client for the platform's own keys (wake-ups, cache bookkeeping).

Short timeouts: callers treat Redis as a hint (a lost wake-up is caught by the beat sweep), so a
slow or dead Redis must never hold a request for long.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

_client: Any = None


def redis_client() -> Any:
    global _client
    if _client is None:
        import redis

        _client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=0.25, socket_connect_timeout=0.25
        )
    return _client
