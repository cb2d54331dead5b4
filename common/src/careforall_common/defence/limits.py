"""The velocity limits of payment attempts, from settings ("N/S": N attempts per S seconds)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from careforall_common.ratelimit import Limit

# Decline codes that say the card is someone else's: they weigh more against the card.
FRAUD_CODES = frozenset({"stolen_card", "lost_card", "card_velocity_exceeded", "fraudulent"})
FRAUD_WEIGHT = 3


def limit_from_setting(name: str, setting: str) -> Limit:
    """The ``Limit`` of a setting "N/S"; ``0/S`` (or any N below 1) turns that limit off."""
    count, _, window = str(getattr(settings, setting)).partition("/")
    return Limit(name=name, limit=int(count), window=int(window or 1))


def limits_on() -> bool:
    return str(settings.PAYMENT_LIMITS).lower() != "off"


@dataclass(frozen=True)
class AttemptLimits:
    guest_address: Limit
    guest_email: Limit
    account: Limit
    campaign: Limit
    card_declines: Limit

    @classmethod
    def current(cls) -> AttemptLimits:
        return cls(
            guest_address=limit_from_setting("guest-address", "PAYMENT_LIMIT_GUEST_ADDRESS"),
            guest_email=limit_from_setting("guest-email", "PAYMENT_LIMIT_GUEST_EMAIL"),
            account=limit_from_setting("account", "PAYMENT_LIMIT_ACCOUNT"),
            campaign=limit_from_setting("campaign-guests", "PAYMENT_LIMIT_CAMPAIGN"),
            card_declines=limit_from_setting("card-declines", "PAYMENT_LIMIT_CARD_DECLINES"),
        )


def decline_weight(code: str | None) -> int:
    """How many declines one decline with this code counts as."""
    return FRAUD_WEIGHT if code in FRAUD_CODES else 1
