"""The fast check of a pledge create's body: the values the strict serializer would return.

``pledge_input`` takes only bodies that ``PledgeListCreateApi.InputSerializer`` takes, and
returns the same clean values; anything else (a wrong type, a value out of range, a missing or
unexpected donor field) is None, and the serializer decides, with its own problem documents.
So the check may refuse more than the serializer, never accept more: a refusal here costs
speed, not correctness. ``pledges/tests/apis/test_pledge_inputs.py`` holds it to that.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from careforall_common.contracts.money import MAX_AMOUNT, MIN_AMOUNT
from pledges.donors import guest_amount_too_small

MAX_ID = 2**63 - 1
_FIELDS = ("campaign_id", "amount", "currency", "anonymous", "donor_name", "donor_email")
_KNOWN = frozenset(_FIELDS)
_CURRENCY = re.compile(r"[a-z]{3}")
# What DRF's CharField refuses in any string: NUL and lone surrogates.
_PROHIBITED = re.compile("[\x00\ud800-\udfff]")


def _integer(value: Any, low: int, high: int) -> bool:
    return type(value) is int and low <= value <= high


def _text(value: Any, high: int) -> bool:
    return type(value) is str and 0 < len(value) <= high and not _PROHIBITED.search(value)


def _email(value: Any) -> bool:
    if not _text(value, 254):
        return False
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def pledge_input(data: Any, *, signed_in: bool) -> dict[str, Any] | None:
    """The clean values of ``data`` (in the serializer's field order), or None: ask it."""
    if type(data) is not dict or not _KNOWN.issuperset(data):
        return None
    if not (
        _integer(data.get("campaign_id"), 1, MAX_ID)
        and _integer(data.get("amount"), MIN_AMOUNT, MAX_AMOUNT)
        and (
            "currency" not in data
            or (type(data["currency"]) is str and _CURRENCY.fullmatch(data["currency"]))
        )
        and ("anonymous" not in data or type(data["anonymous"]) is bool)
    ):
        return None
    if signed_in:
        if "donor_name" in data or "donor_email" in data:
            return None
    elif not (
        _text(data.get("donor_name"), 150)
        and _email(data.get("donor_email"))
        and not guest_amount_too_small(data["amount"])
    ):
        return None
    return {field: data[field] for field in _FIELDS if field in data}
