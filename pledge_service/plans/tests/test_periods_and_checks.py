"""Period arithmetic (docs/recurring.md "Periods") and the compressed clock's system check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from careforall_common.contracts.plans import PLAN_INTERVALS, PLAN_STATUSES
from plans.checks import schedule_errors
from plans.models import PlanInterval, PlanStatus
from plans.periods import first_period_after, period_start


@pytest.fixture(autouse=True)
def _real_days(settings: Any) -> None:
    settings.RECURRING_DAY_SECONDS = 86400.0


def at(year: int, month: int, day: int, hour: int = 9) -> datetime:
    return datetime(year, month, day, hour, 30, tzinfo=UTC)


def months_from(anchor: datetime, count: int) -> list[datetime]:
    return [period_start(anchor=anchor, interval="month", period=k) for k in range(count)]


def test_a_plan_started_on_31_january_is_charged_at_each_month_s_end() -> None:
    assert months_from(at(2027, 1, 31), 5) == [
        at(2027, 1, 31),
        at(2027, 2, 28),
        at(2027, 3, 31),
        at(2027, 4, 30),
        at(2027, 5, 31),
    ]


def test_february_of_a_leap_year_has_29_days() -> None:
    assert period_start(anchor=at(2028, 1, 30), interval="month", period=1) == at(2028, 2, 29)


def test_months_count_from_the_anchor_not_from_the_previous_charge() -> None:
    anchor = at(2027, 1, 31)
    assert period_start(anchor=anchor, interval="month", period=13) == at(2028, 2, 29)
    assert period_start(anchor=anchor, interval="month", period=14) == at(2028, 3, 31)


def test_a_yearly_plan_from_29_february_is_charged_on_28_february_then_29_again() -> None:
    anchor = at(2028, 2, 29)
    years = [period_start(anchor=anchor, interval="year", period=k) for k in range(5)]
    assert years == [
        at(2028, 2, 29),
        at(2029, 2, 28),
        at(2030, 2, 28),
        at(2031, 2, 28),
        at(2032, 2, 29),
    ]


def test_periods_are_utc_whatever_the_anchor_s_zone() -> None:
    anchor = datetime(2027, 1, 31, 23, 30, tzinfo=UTC)
    assert period_start(anchor=anchor, interval="month", period=1) == datetime(
        2027, 2, 28, 23, 30, tzinfo=UTC
    )


def test_a_compressed_clock_counts_30_days_a_month_and_365_a_year(settings: Any) -> None:
    settings.RECURRING_DAY_SECONDS = 2.0
    anchor = at(2027, 1, 31)
    assert period_start(anchor=anchor, interval="month", period=1) == anchor + timedelta(seconds=60)
    assert period_start(anchor=anchor, interval="month", period=3) == anchor + timedelta(
        seconds=180
    )
    assert period_start(anchor=anchor, interval="year", period=1) == anchor + timedelta(seconds=730)


def test_the_first_period_after_a_moment() -> None:
    anchor = at(2027, 1, 31)
    assert first_period_after(anchor=anchor, interval="month", start=1, moment=at(2027, 4, 15)) == (
        3,
        at(2027, 4, 30),
    )
    # A period due exactly now is not "after" now.
    assert first_period_after(anchor=anchor, interval="month", start=1, moment=at(2027, 3, 31)) == (
        3,
        at(2027, 4, 30),
    )


def test_a_compressed_clock_is_refused_in_production(settings: Any) -> None:
    settings.DEBUG, settings.CAREFORALL_SANDBOX = False, False
    settings.RECURRING_DAY_SECONDS = 60.0

    assert [error.id for error in schedule_errors()] == ["plans.E001"]


@pytest.mark.parametrize(("debug", "sandbox"), [(True, False), (False, True)])
def test_a_compressed_clock_is_allowed_in_development_or_a_sandbox_demo(
    settings: Any, debug: bool, sandbox: bool
) -> None:
    settings.DEBUG, settings.CAREFORALL_SANDBOX = debug, sandbox
    settings.RECURRING_DAY_SECONDS = 60.0

    assert schedule_errors() == []


def test_a_real_day_passes_in_production(settings: Any) -> None:
    settings.DEBUG, settings.CAREFORALL_SANDBOX = False, False

    assert schedule_errors() == []


def test_retry_days_must_be_positive(settings: Any) -> None:
    settings.RECURRING_RETRY_DAYS = [1.0, 0.0]

    assert [error.id for error in schedule_errors()] == ["plans.E002"]


def test_the_plan_choices_are_the_shared_contract_s() -> None:
    assert tuple(PlanStatus.values) == PLAN_STATUSES
    assert tuple(PlanInterval.values) == PLAN_INTERVALS
