"""Events of recurring plans (pledge_service and payment_service, docs/recurring.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

from careforall_common.contracts.events.base import (
    _COMMITMENT,
    _LAST4,
    MAX_CARD_BRAND_LENGTH,
    ContractError,
    Event,
    _choice,
    _currency,
    _mapping,
    _optional_positive_int,
    _positive_int,
)
from careforall_common.contracts.money import MAX_AMOUNT

PLAN_INTERVALS = ("month", "year")
PLAN_STATUSES = ("incomplete", "active", "paused", "past_due", "canceled")


@dataclass(frozen=True, slots=True)
class PlanChanged(Event):
    """A recurring plan as it is now (docs/recurring.md): its status, amount and interval."""

    EVENT_TYPE: ClassVar[str] = "PLAN_CHANGED"
    AGGREGATE_TYPE: ClassVar[str] = "plan"

    plan_id: int
    campaign_id: int
    status: str
    amount: int
    currency: str
    interval: str

    @classmethod
    def parse(cls, payload: Any) -> Self:
        data = _mapping(payload, "payload")
        return cls(
            plan_id=_positive_int(data, "plan_id"),
            campaign_id=_positive_int(data, "campaign_id"),
            status=_choice(data, "status", PLAN_STATUSES),
            amount=_positive_int(data, "amount", maximum=MAX_AMOUNT),
            currency=_currency(data),
            interval=_choice(data, "interval", PLAN_INTERVALS),
        )

    @property
    def aggregate_id(self) -> int:
        return self.plan_id


@dataclass(frozen=True, slots=True)
class InstallmentDue(Event):
    """An installment's pledge to be paid off-session with the plan's saved card."""

    EVENT_TYPE: ClassVar[str] = "INSTALLMENT_DUE"
    AGGREGATE_TYPE: ClassVar[str] = "plan"

    plan_id: int
    pledge_id: int
    campaign_id: int
    user_id: int | None
    amount: int
    currency: str
    period: int
    attempt: int
    # A guest's pledge: the SHA-256 of its receipt token, so the payment opens with the token
    # as any guest's does (optional: events of earlier releases lack it).
    receipt_token_hash: str | None = None

    @classmethod
    def parse(cls, payload: Any) -> Self:
        data = _mapping(payload, "payload")
        token_hash = data.get("receipt_token_hash")
        if token_hash is not None and not (
            isinstance(token_hash, str) and _COMMITMENT.fullmatch(token_hash) and token_hash
        ):
            raise ContractError("receipt_token_hash must be a SHA-256 hex digest or null")
        period = data.get("period")
        if isinstance(period, bool) or not isinstance(period, int) or period < 0:
            raise ContractError("period must be a whole number")
        return cls(
            plan_id=_positive_int(data, "plan_id"),
            pledge_id=_positive_int(data, "pledge_id"),
            campaign_id=_positive_int(data, "campaign_id"),
            user_id=_optional_positive_int(data, "user_id"),
            amount=_positive_int(data, "amount", maximum=MAX_AMOUNT),
            currency=_currency(data),
            period=period,
            attempt=_positive_int(data, "attempt"),
            receipt_token_hash=token_hash,
        )

    @property
    def aggregate_id(self) -> int:
        return self.plan_id


@dataclass(frozen=True, slots=True)
class PlanCardChanged(Event):
    """The card a plan's next installments are charged to (brand and last four only)."""

    EVENT_TYPE: ClassVar[str] = "PLAN_CARD_CHANGED"
    AGGREGATE_TYPE: ClassVar[str] = "plan"

    plan_id: int
    card_brand: str
    card_last4: str

    @classmethod
    def parse(cls, payload: Any) -> Self:
        data = _mapping(payload, "payload")
        card_brand = data.get("card_brand") or ""
        card_last4 = data.get("card_last4") or ""
        if not isinstance(card_brand, str) or len(card_brand) > MAX_CARD_BRAND_LENGTH:
            raise ContractError(f"card_brand must be a string of at most {MAX_CARD_BRAND_LENGTH}")
        if not isinstance(card_last4, str) or not _LAST4.fullmatch(card_last4):
            raise ContractError("card_last4 must be four digits")
        return cls(
            plan_id=_positive_int(data, "plan_id"), card_brand=card_brand, card_last4=card_last4
        )

    @property
    def aggregate_id(self) -> int:
        return self.plan_id
