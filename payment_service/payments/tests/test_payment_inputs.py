"""The fast check of a payment create's body never accepts what the strict serializer refuses,
and returns what it returns (``payments.inputs``)."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.exceptions import ValidationError

from payments.apis import PaymentCreateApi
from payments.inputs import MAX_ID, payment_input

BODIES: list[Any] = [
    {"pledge_id": 1},
    {"pledge_id": MAX_ID, "payment_method": "pm_card_visa"},
    {"pledge_id": 7, "receipt_token": "t" * 255, "challenge_token": "c" * 2048},
    {"pledge_id": 0},
    {"pledge_id": MAX_ID + 1},
    {"pledge_id": True},
    {"pledge_id": 1.0},
    {"pledge_id": "1"},
    {},
    [],
    None,
    {"pledge_id": 1, "payment_method": "pm_card visa"},
    {"pledge_id": 1, "payment_method": "pm_card_visa\n"},
    {"pledge_id": 1, "payment_method": "pm_" + "a" * 253},
    {"pledge_id": 1, "payment_method": None},
    {"pledge_id": 1, "payment_method": ""},
    {"pledge_id": 1, "receipt_token": ""},
    {"pledge_id": 1, "receipt_token": "t" * 256},
    {"pledge_id": 1, "receipt_token": "a\x00b"},
    {"pledge_id": 1, "challenge_token": "c" * 2049},
    {"pledge_id": 1, "challenge_token": 5},
    {"pledge_id": 1, "extra": 1},
]


@pytest.mark.parametrize("body", BODIES)
def test_the_fast_check_takes_only_what_the_serializer_takes(body: Any) -> None:
    fast = payment_input(body)
    try:
        strict = PaymentCreateApi.InputSerializer.parse(body)
    except ValidationError:
        strict = None
    if fast is not None:
        assert strict is not None
        assert dict(strict) == fast


def test_the_plain_bodies_are_taken() -> None:
    assert all(payment_input(body) is not None for body in BODIES[:3])
