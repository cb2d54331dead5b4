"""Money as people read it: exact integers both ways, each currency's own decimals."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms

from careforall_common.money import (
    MajorUnitsField,
    MoneyFormMixin,
    money_format,
    money_parse,
    money_plain,
)


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (5_000_000, "usd", "$50,000.00"),
        (5, "usd", "$0.05"),
        (0, "eur", "€0.00"),
        (5_000, "jpy", "¥5,000"),
        (1_234_567, "bhd", "BHD 1,234.567"),
        (-250, "gbp", "-£2.50"),
        (10**30 + 1, "usd", "$10,000,000,000,000,000,000,000,000,000.01"),  # beyond any float
    ],
)
def test_format(amount: int, currency: str, shown: str) -> None:
    assert money_format(amount, currency) == shown


def test_plain_is_what_a_form_shows() -> None:
    assert money_plain(5_000_000, "usd") == "50000.00"
    assert money_plain(5_000, "jpy") == "5000"
    assert money_plain(5_000_000, "usd", grouped=True) == "50,000.00"


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("50,000.00", "usd", 5_000_000),
        ("50000", "usd", 5_000_000),
        ("$50,000", "usd", 5_000_000),
        (" 12.5 ", "usd", 1_250),
        ("12.500", "usd", 1_250),
        ("0.01", "usd", 1),
        ("5000", "jpy", 5_000),
        ("5,000", "jpy", 5_000),
        ("5000.00", "jpy", 5_000),
        ("1.234", "bhd", 1_234),
        ("123456789012345678901234567890.99", "usd", 12345678901234567890123456789099),
    ],
)
def test_parse(text: str, currency: str, minor: int) -> None:
    assert money_parse(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("", "usd"),
        ("-5", "usd"),
        ("+5", "usd"),
        ("1e3", "usd"),
        ("12.345", "usd"),
        ("1,00", "usd"),
        ("1,0000", "usd"),
        ("12.", "usd"),
        (".5", "usd"),
        ("ten", "usd"),
        ("12.5", "jpy"),
        ("1.2345", "bhd"),
        ("٣", "usd"),  # a digit of another script
    ],
)
def test_parse_refuses(text: str, currency: str) -> None:
    with pytest.raises(ValueError, match=currency.upper()):
        money_parse(text, currency)


class GoalForm(MoneyFormMixin, forms.Form):
    money_fields = {"goal": "currency"}
    goal = MajorUnitsField()
    currency = forms.CharField()


@pytest.mark.parametrize(
    ("typed", "currency", "stored"), [("50,000.00", "usd", 5_000_000), ("5000", "jpy", 5_000)]
)
def test_form_stores_minor_units(typed: str, currency: str, stored: int) -> None:
    form = GoalForm(data={"goal": typed, "currency": currency})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["goal"] == stored
    assert isinstance(form.cleaned_data["goal"], int)


def test_form_refuses_an_invalid_amount_on_its_field() -> None:
    form = GoalForm(data={"goal": "12.345", "currency": "usd"})

    assert not form.is_valid()
    assert form.errors["goal"] == ["USD has 2 decimals at most, such as 12,345.00."]


def test_form_shows_stored_minor_units_in_major_units() -> None:
    initial: dict[str, Any] = {"goal": 5_000_000, "currency": "usd"}

    assert GoalForm(initial=initial).initial["goal"] == "50000.00"
