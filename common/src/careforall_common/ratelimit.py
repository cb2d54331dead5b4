"""Sliding-window limits in Redis: how many attempts one key (an address, an email, a card) made.

Each (limit, key) keeps a sorted set of its recent attempts, scored by time. ``limits_hit``
checks every limit of one attempt and records it in all of them in one atomic script (one round
trip): either the attempt is under every limit and counts in each, or it is over one and counts
in none — a refused attempt does not lengthen the wait of a donor who stops. ``limits_add``
records events that happened elsewhere (a decline the provider reported), with a weight, so that
a fraud-type decline counts several times.

Redis is a guard, not a ledger: when it cannot be reached the attempt is let through and the
failure logged (the provider's own defences and the challenge still stand), so an outage of Redis
never stops a donor giving.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from dataclasses import dataclass
from typing import Any

from careforall_common.redis_client import redis_client

logger = logging.getLogger(__name__)

PREFIX = "cfa:limit:"

# KEYS: one sorted set per limit. ARGV: now (ms), then per key its limit and window (ms), then
# the member to add. Returns 0 when the attempt was recorded, else the milliseconds until the
# first limit it is over lets one more attempt through.
_HIT = """
local now = tonumber(ARGV[1])
local member = ARGV[#ARGV]
local wait = 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  if count >= limit then
    local oldest = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
    local until_free = tonumber(oldest[2]) + window - now
    if until_free > wait then wait = until_free end
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, tonumber(ARGV[2 * i + 1]))
end
return 0
"""

# KEYS[1]: the sorted set. ARGV: now (ms), window (ms), weight, member prefix.
_ADD = """
local now = tonumber(ARGV[1])
for n = 1, tonumber(ARGV[3]) do
  redis.call('ZADD', KEYS[1], now, ARGV[4] .. ':' .. n)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return redis.call('ZCARD', KEYS[1])
"""

_scripts: dict[str, Any] = {}


@dataclass(frozen=True)
class Limit:
    """At most ``limit`` attempts per ``window`` seconds for one key of kind ``name``."""

    name: str
    limit: int
    window: int

    def key(self, value: str) -> str:
        return f"{PREFIX}{self.name}:{value}"


def _script(source: str) -> Any:
    if source not in _scripts:
        _scripts[source] = redis_client().register_script(source)
    return _scripts[source]


def limits_hit(checks: list[tuple[Limit, str]], *, now: float | None = None) -> int | None:
    """Count one attempt against each (limit, key); return None, or the seconds to wait.

    The seconds (at least 1) are the ``Retry-After`` of the limit that frees up last; the
    attempt then counts nowhere. A limit of 0 or less is off, as is an empty key.
    """
    checks = [(limit, value) for limit, value in checks if value and limit.limit > 0]
    if not checks:
        return None
    now_ms = int((time.time() if now is None else now) * 1000)
    args: list[Any] = [now_ms]
    for limit, _ in checks:
        args += [limit.limit, limit.window * 1000]
    args.append(f"{now_ms}:{uuid.uuid4().hex[:12]}")
    try:
        wait_ms = int(_script(_HIT)(keys=[limit.key(value) for limit, value in checks], args=args))
    except Exception:  # Redis down or slow: a guard that fails open (module docstring)
        logger.warning("limits: Redis unavailable, attempt let through", exc_info=True)
        return None
    return max(1, math.ceil(wait_ms / 1000)) if wait_ms > 0 else None


def limits_add(limit: Limit, value: str, *, weight: int = 1, now: float | None = None) -> int:
    """Record ``weight`` events for ``value`` under ``limit``; return its count in the window."""
    if not value or weight < 1:
        return 0
    now_ms = int((time.time() if now is None else now) * 1000)
    try:
        return int(
            _script(_ADD)(
                keys=[limit.key(value)],
                args=[now_ms, limit.window * 1000, weight, f"{now_ms}:{uuid.uuid4().hex[:12]}"],
            )
        )
    except Exception:
        logger.warning("limits: Redis unavailable, event not recorded", exc_info=True)
        return 0


def limits_over(limit: Limit, value: str, *, now: float | None = None) -> int | None:
    """Seconds until ``value`` is under ``limit`` again, or None when it is under it now."""
    if not value or limit.limit <= 0:
        return None
    now_ms = int((time.time() if now is None else now) * 1000)
    key = limit.key(value)
    try:
        client = redis_client()
        client.zremrangebyscore(key, "-inf", now_ms - limit.window * 1000)
        count = client.zcard(key)
        if count < limit.limit:
            return None
        oldest = client.zrange(key, count - limit.limit, count - limit.limit, withscores=True)
    except Exception:
        logger.warning("limits: Redis unavailable, check skipped", exc_info=True)
        return None
    wait_ms = int(oldest[0][1]) + limit.window * 1000 - now_ms if oldest else 0
    return max(1, math.ceil(wait_ms / 1000))


def limits_clear(limit: Limit, value: str) -> None:
    """Forget ``value``'s attempts under ``limit`` (tests, and staff clearing a false alarm)."""
    redis_client().delete(limit.key(value))
