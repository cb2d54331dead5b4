"""When period *k* of a plan falls due (docs/recurring.md "Periods").

Calendar months or years in UTC from the anchor (the first charge's time), the day clamped to
the month's end: 31 January → 28/29 February, 31 March, 30 April; 29 February → 28 February of a
common year. With ``RECURRING_DAY_SECONDS`` below 86400 (development and tests) a month is 30
such days from the anchor and a year 365.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta

from django.conf import settings

from plans.models import PlanInterval

DAY = 86400.0


def day_seconds() -> float:
    return float(settings.RECURRING_DAY_SECONDS)


def days(count: float) -> timedelta:
    """``count`` days of the schedule (compressed when ``RECURRING_DAY_SECONDS`` < 86400)."""
    return timedelta(seconds=count * day_seconds())


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus ``months`` calendar months in UTC, the day clamped to the month's end."""
    moment = moment.astimezone(UTC)
    years, month_index = divmod(moment.month - 1 + months, 12)
    year, month = moment.year + years, month_index + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def period_start(*, anchor: datetime, interval: str, period: int) -> datetime:
    """When period ``period`` (0 = the first charge) of a plan anchored at ``anchor`` falls due."""
    if day_seconds() < DAY:
        return anchor + days((30 if interval == PlanInterval.MONTH else 365) * period)
    return add_months(anchor, period if interval == PlanInterval.MONTH else 12 * period)


def first_period_after(
    *, anchor: datetime, interval: str, start: int, moment: datetime
) -> tuple[int, datetime]:
    """The first period from ``start`` on that falls due after ``moment``, and when."""
    period = start
    due = period_start(anchor=anchor, interval=interval, period=period)
    while due <= moment:
        period += 1
        due = period_start(anchor=anchor, interval=interval, period=period)
    return period, due
