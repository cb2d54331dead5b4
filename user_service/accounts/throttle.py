"""Per-account slow-down of failed sign-ins (SPEC §2), shared by the token API and the admin.

The gateway limits sign-ins per address; this limits them per account, whatever the addresses:
after ``SIGN_IN_FREE_FAILURES`` failures in a row for one email, each further failure makes the
next attempt wait twice as long (1 s, 2 s, 4 s … up to ``SIGN_IN_MAX_DELAY_SECONDS``). While an
account waits, an attempt is refused before its password is hashed. An unknown email counts the
same as a known one, so the answers tell nothing about which accounts exist.

The counters live in Redis (the ``sign_in`` cache) with a time to live, so they need no pruning.
When Redis is unreachable the slow-down is skipped (logged) and the gateway's limit still holds.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from django.conf import settings
from django.core.cache import caches
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _keys(email: str) -> tuple[str, str]:
    digest = hashlib.sha256(email.lower().encode()).hexdigest()
    return f"sign-in:failures:{digest}", f"sign-in:until:{digest}"


def sign_in_wait(*, email: str) -> int:
    """Return the seconds this account must wait before its next attempt (0: it may try now)."""
    _, until_key = _keys(email)
    try:
        until = caches["sign_in"].get(until_key)
    except RedisError as error:
        logger.warning("sign-in slow-down skipped: %s", error)
        return 0
    if until is None:
        return 0
    return max(0, math.ceil(float(until) - time.time()))


def sign_in_failed(*, email: str) -> None:
    """Count a failed attempt; from the free ones on, make the account wait."""
    failures_key, until_key = _keys(email)
    cache = caches["sign_in"]
    window = settings.SIGN_IN_FAILURE_WINDOW_SECONDS
    try:
        cache.add(failures_key, 0, window)
        try:
            failures = cache.incr(failures_key)
        except ValueError:  # expired between add and incr
            cache.set(failures_key, 1, window)
            failures = 1
        cache.touch(failures_key, window)
        beyond = failures - settings.SIGN_IN_FREE_FAILURES
        if beyond >= 0:
            delay = min(settings.SIGN_IN_MAX_DELAY_SECONDS, 2 ** min(beyond, 30))
            cache.set(until_key, time.time() + delay, delay)
    except RedisError as error:
        logger.warning("sign-in slow-down skipped: %s", error)


def sign_in_succeeded(*, email: str) -> None:
    """Forget the account's failures."""
    try:
        caches["sign_in"].delete_many(list(_keys(email)))
    except RedisError as error:
        logger.warning("sign-in slow-down reset skipped: %s", error)
