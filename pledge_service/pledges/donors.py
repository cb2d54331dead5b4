"""Who may give what (SPEC §3): the donor fields of a pledge or a plan, and the guest minimum."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def guest_amount_too_small(amount: int) -> bool:
    """Whether a guest's gift is below ``MIN_GUEST_AMOUNT`` (SPEC §3 "Card-testing defence").

    The same integer in every currency: minor units, or whole units of a zero-decimal one.
    """
    return amount < settings.MIN_GUEST_AMOUNT


GUEST_MINIMUM = "Guest gifts start at {minimum} (minor units); sign in to give less."


def guest_minimum_errors(amount: int) -> dict[str, list[str]]:
    """The 400's ``errors`` for a guest's gift below ``MIN_GUEST_AMOUNT``, or none."""
    if not guest_amount_too_small(amount):
        return {}
    return {"amount": [GUEST_MINIMUM.format(minimum=settings.MIN_GUEST_AMOUNT)]}


def donor_fields_errors(attrs: dict[str, Any], *, signed_in: bool) -> dict[str, list[str]]:
    """SPEC §3: the name and email come from the account when signed in (sending them is 400),
    and a guest must send both; a guest's gift starts at ``MIN_GUEST_AMOUNT``. The same for a
    pledge and a plan."""
    errors: dict[str, list[str]] = {}
    for field in ("donor_name", "donor_email"):
        if signed_in and field in attrs:
            errors[field] = ["Not allowed when signed in: the account's own is used."]
        elif not signed_in and field not in attrs:
            errors[field] = ["This field is required."]
    if not signed_in:
        errors.update(guest_minimum_errors(attrs["amount"]))
    return errors
