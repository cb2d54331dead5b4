"""The fast check of a payment create's body: the values the strict serializer would return.

``payment_input`` takes only bodies that ``PaymentCreateApi.InputSerializer`` takes, and returns
the same clean values; anything else (a wrong type, a value out of range, an unexpected field)
is None, and the serializer decides, with its own problem documents. So the check may refuse
more than the serializer, never accept more: a refusal here costs speed, not correctness.
"""

from __future__ import annotations

import re
from typing import Any

MAX_ID = 2**63 - 1  # ids are BIGINT: a larger one is no id at all (400, not a database error)
_FIELDS = ("pledge_id", "payment_method", "receipt_token", "challenge_token")
_KNOWN = frozenset(_FIELDS)
_PAYMENT_METHOD = re.compile(r"pm_[A-Za-z0-9_]+")
# What DRF's CharField refuses in any string: NUL and lone surrogates.
_PROHIBITED = re.compile("[\x00\ud800-\udfff]")


def _text(value: Any, high: int) -> bool:
    return type(value) is str and 0 < len(value) <= high and not _PROHIBITED.search(value)


def payment_input(data: Any) -> dict[str, Any] | None:
    """The clean values of ``data`` (in the serializer's field order), or None: ask it."""
    if type(data) is not dict or not _KNOWN.issuperset(data):
        return None
    pledge_id = data.get("pledge_id")
    if not (type(pledge_id) is int and 1 <= pledge_id <= MAX_ID):
        return None
    method = data.get("payment_method")
    if method is not None and not (_text(method, 255) and _PAYMENT_METHOD.fullmatch(method)):
        return None
    if "payment_method" in data and method is None:
        return None  # null: the serializer's refusal
    for field, high in (("receipt_token", 255), ("challenge_token", 2048)):
        if field in data and not _text(data[field], high):
            return None
    return {field: data[field] for field in _FIELDS if field in data}
