"""Sliding-window limits in Redis (careforall_common.ratelimit), against the real Redis."""

from __future__ import annotations

import uuid
from unittest import mock

import pytest

from careforall_common import ratelimit
from careforall_common.ratelimit import Limit, limits_add, limits_hit, limits_over


def _limit(limit: int = 3, window: int = 600) -> Limit:
    return Limit(name=f"test-{uuid.uuid4().hex[:8]}", limit=limit, window=window)


def test_attempts_under_the_limit_pass_and_the_next_waits_for_the_oldest() -> None:
    per_address = _limit(3, 600)
    for second in range(3):
        assert limits_hit([(per_address, "127.0.0.9")], now=1000 + second) is None
    assert limits_hit([(per_address, "127.0.0.9")], now=1010) == 590  # 1000 + 600 - 1010
    assert limits_hit([(per_address, "127.0.0.10")], now=1010) is None  # another key
    assert limits_hit([(per_address, "127.0.0.9")], now=1600.5) is None  # the oldest slid out


def test_a_refused_attempt_counts_in_no_limit() -> None:
    per_address, per_email = _limit(5), _limit(1)
    assert limits_hit([(per_address, "a"), (per_email, "x@example.org")], now=0) is None
    for _ in range(10):
        assert limits_hit([(per_address, "a"), (per_email, "x@example.org")], now=1) == 599
    # Ten refusals later the address has still made one attempt: four more pass with new emails.
    for n in range(4):
        assert limits_hit([(per_address, "a"), (per_email, f"{n}@example.org")], now=2) is None
    assert limits_hit([(per_address, "a"), (per_email, "9@example.org")], now=3) == 597


def test_weighted_events_and_the_check_of_a_limit() -> None:
    declines = _limit(5, 3600)
    assert limits_over(declines, "fp_1", now=0) is None
    assert limits_add(declines, "fp_1", weight=3, now=0) == 3
    assert limits_over(declines, "fp_1", now=1) is None
    assert limits_add(declines, "fp_1", weight=2, now=10) == 5
    assert limits_over(declines, "fp_1", now=20) == 3580
    assert limits_over(declines, "fp_1", now=3601) is None  # the first three slid out


def test_a_limit_of_zero_and_an_empty_key_are_off() -> None:
    assert limits_hit([(_limit(0), "a"), (_limit(1), "")]) is None


def test_redis_down_lets_the_attempt_through(caplog: pytest.LogCaptureFixture) -> None:
    broken = mock.Mock(side_effect=ConnectionError("redis down"))
    with mock.patch.object(ratelimit, "_script", return_value=broken):
        assert limits_hit([(_limit(1), "a")]) is None
    assert "Redis unavailable" in caplog.text
