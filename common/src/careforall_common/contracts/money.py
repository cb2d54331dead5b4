"""Money as the contract has it (SPEC §2): integer minor units beside a lowercase currency."""

from __future__ import annotations

import re

from django.db import models

MIN_AMOUNT = 1
MAX_AMOUNT = 100_000_000  # a pledge amount and a goal: 1 to 100,000,000 minor units
CURRENCY_PATTERN = r"[a-z]{3}"  # lowercase ISO-4217
CURRENCY_REGEX = re.compile(CURRENCY_PATTERN)
DEFAULT_CURRENCY = "usd"


def currency_valid(value: object) -> bool:
    """Whether ``value`` is a currency as the contract writes it (``usd``, not ``USD``)."""
    return isinstance(value, str) and CURRENCY_REGEX.fullmatch(value) is not None


def amount_valid(value: object) -> bool:
    """Whether ``value`` is a pledge amount or goal: an integer (not a bool) in range."""
    return (
        isinstance(value, int) and not isinstance(value, bool) and MIN_AMOUNT <= value <= MAX_AMOUNT
    )


def amount_range_q(field: str = "amount") -> models.Q:
    """The ``CheckConstraint`` condition of an amount in range."""
    return models.Q(**{f"{field}__gte": MIN_AMOUNT, f"{field}__lte": MAX_AMOUNT})


def currency_q(field: str = "currency") -> models.Q:
    """The ``CheckConstraint`` condition of a valid currency."""
    return models.Q(**{f"{field}__regex": f"^{CURRENCY_PATTERN}$"})
