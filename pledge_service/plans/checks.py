"""A production pledge_service refuses a compressed recurring schedule (SPEC §3).

``RECURRING_DAY_SECONDS`` below 86400 makes a "month" last minutes: tests and demos only. With
``DJANGO_DEBUG=false`` it is an error unless ``CAREFORALL_SANDBOX=true`` says it is a demo on
purpose, as for the payment sandbox (``careforall.E005``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from plans.periods import DAY


def schedule_errors() -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    if not settings.RECURRING_RETRY_DAYS or any(day <= 0 for day in settings.RECURRING_RETRY_DAYS):
        errors.append(
            Error(
                "RECURRING_RETRY_DAYS must list positive numbers of days.",
                hint='Such as "1,3,7" (the default).',
                id="plans.E002",
            )
        )
    if settings.RECURRING_DAY_SECONDS <= 0:
        errors.append(Error("RECURRING_DAY_SECONDS must be positive.", id="plans.E003"))
    compressed = settings.RECURRING_DAY_SECONDS < DAY
    if compressed and not (settings.DEBUG or settings.CAREFORALL_SANDBOX):
        errors.append(
            Error(
                "RECURRING_DAY_SECONDS is below 86400 while DJANGO_DEBUG is false: donors would "
                "be charged every few minutes.",
                hint="Unset RECURRING_DAY_SECONDS, or set CAREFORALL_SANDBOX=true for a demo.",
                id="plans.E001",
            )
        )
    return errors


@register()
def check_schedule(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return schedule_errors()
