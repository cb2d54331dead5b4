"""Money as people read it: integer minor units (SPEC §2) to ``$50,000.00`` and back.

Never a float: amounts are split and joined as digits with integer arithmetic, so every amount
up to any size formats and parses exactly. The exponent (digits after the decimal point) is
ISO 4217's; a currency not listed has two.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms

# ISO 4217 currencies whose minor unit is not the hundredth.
ZERO_DECIMAL = frozenset(
    {
        "bif",
        "clp",
        "djf",
        "gnf",
        "isk",
        "jpy",
        "kmf",
        "krw",
        "pyg",
        "rwf",
        "ugx",
        "uyi",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    }
)
THREE_DECIMAL = frozenset({"bhd", "iqd", "jod", "kwd", "lyd", "omr", "tnd"})

# Symbols people recognise without a second look; any other currency shows its code.
SYMBOLS = {
    "usd": "$",
    "eur": "€",
    "gbp": "£",
    "jpy": "¥",
    "inr": "₹",
    "bdt": "৳",
    "krw": "₩",
    "cny": "CN¥",
    "cad": "CA$",
    "aud": "A$",
}

# Digits, optionally grouped by commas in threes, then an optional fraction.
_MAJOR = re.compile(r"(?P<whole>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<fraction>[0-9]+))?")


def currency_exponent(currency: str) -> int:
    """How many digits the currency's minor unit has: usd 2, jpy 0, bhd 3."""
    currency = currency.lower()
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return 2


def money_plain(amount: int, currency: str, *, grouped: bool = False) -> str:
    """``amount`` minor units as a decimal string in major units: ``5000000`` usd → ``50000.00``.

    Grouped with commas (``50,000.00``) when asked; no symbol. What a form shows and a CSV holds.
    """
    exponent = currency_exponent(currency)
    sign = "-" if amount < 0 else ""
    whole, fraction = divmod(abs(amount), 10**exponent)
    text = f"{whole:,}" if grouped else str(whole)
    if exponent:
        text = f"{text}.{fraction:0{exponent}d}"
    return sign + text


def money_format(amount: int | None, currency: str) -> str:
    """``amount`` minor units as people read it: 5000000 usd → ``$50,000.00``, jpy ``¥5,000``."""
    if amount is None:
        return "-"
    text = money_plain(amount, currency, grouped=True)
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    symbol = SYMBOLS.get(currency.lower())
    if symbol is None:
        return f"{sign}{currency.upper()} {digits}"
    return f"{sign}{symbol}{digits}"


def money_parse(text: str, currency: str) -> int:
    """Major units typed by a person to exact minor units: ``50,000.00`` usd → ``5000000``.

    Takes digits with an optional fraction, commas only as thousands separators, and spaces or
    the currency's symbol around them. Refuses signs, exponents and more decimals than the
    currency has (trailing zeros aside: ``12.500`` usd is ``1250``) with a ValueError saying
    what to type instead.
    """
    cleaned = text.strip()
    symbol = SYMBOLS.get(currency.lower())
    if symbol is not None and cleaned.startswith(symbol):
        cleaned = cleaned[len(symbol) :].strip()
    exponent = currency_exponent(currency)
    example = money_plain(1_234_500 * 10**exponent // 100, currency, grouped=True)
    match = _MAJOR.fullmatch(cleaned)
    if match is None:
        raise ValueError(f"Enter an amount in {currency.upper()}, such as {example}.")
    fraction = (match["fraction"] or "").rstrip("0")
    if len(fraction) > exponent:
        if exponent == 0:
            raise ValueError(f"{currency.upper()} has no minor units: enter a whole number.")
        raise ValueError(f"{currency.upper()} has {exponent} decimals at most, such as {example}.")
    whole = int(str(match["whole"]).replace(",", ""))
    scale: int = 10**exponent
    return whole * scale + int(fraction.ljust(exponent, "0") or "0")


class MajorUnitsField(forms.CharField):
    """An amount typed in major units; the form turns it into minor units with its currency.

    The currency is another field of the same form, so the conversion happens in the form's
    ``clean`` (see ``MoneyFormMixin``); this field only keeps the text.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("strip", True)
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault(
            "help_text", "In the currency's units, such as 50,000.00 (dollars, not cents)."
        )
        super().__init__(**kwargs)


class MoneyFormMixin(forms.BaseForm):
    """A form whose ``money_fields`` (field name → currency field name) are typed in major units.

    Shows the stored minor units in major units, and stores exact integer minor units; an amount
    that does not parse is a form error on its field.
    """

    money_fields: dict[str, str] = {}
    default_currency = "usd"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        for name, currency_field in self.money_fields.items():
            amount = self.initial.get(name)
            if isinstance(amount, int):
                currency = self.initial.get(currency_field) or getattr(
                    instance, currency_field, None
                )
                self.initial[name] = money_plain(amount, str(currency or self.default_currency))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, currency_field in self.money_fields.items():
            text = cleaned.get(name)
            if not isinstance(text, str):
                continue
            currency = cleaned.get(currency_field) or self.default_currency
            try:
                cleaned[name] = money_parse(text, currency)
            except ValueError as error:
                self.add_error(name, str(error))
        return cleaned
