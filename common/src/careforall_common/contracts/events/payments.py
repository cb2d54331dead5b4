"""Events of payments and refunds (payment_service), and of their transparency log entries."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from careforall_common.contracts.events.base import (
    _COMMITMENT,
    _LAST4,
    MAX_CARD_BRAND_LENGTH,
    MAX_ERROR_LENGTH,
    ContractError,
    Event,
    _currency,
    _mapping,
    _positive_int,
)
from careforall_common.contracts.money import MAX_AMOUNT


@dataclass(frozen=True, slots=True)
class PaymentReported(Event):
    """``PAYMENT_AUTHORIZED``, ``PAYMENT_CAPTURED`` or ``PAYMENT_FAILED``: one payload shape."""

    AGGREGATE_TYPE: ClassVar[str] = "payment"
    PLEDGE_STATUS: ClassVar[str]

    payment_id: int
    pledge_id: int
    campaign_id: int
    amount: int
    currency: str
    error: str = ""  # PAYMENT_FAILED only
    # PAYMENT_CAPTURED only, for the receipt; added after version 1, so optional. The last four
    # digits are all of a card that ever reaches the platform (SPEC §5.9).
    card_brand: str = ""
    card_last4: str = ""
    # PAYMENT_CAPTURED only: the transparency log's commitment to this payment (SHA-256 hex of
    # "<salt>:<payment id>", docs/transparency.md); the salt itself never leaves payment_service.
    commitment: str = ""

    @classmethod
    def parse(cls, payload: Any) -> Self:
        data = _mapping(payload, "payload")
        commitment = data.get("commitment") or ""
        if not isinstance(commitment, str) or not _COMMITMENT.fullmatch(commitment):
            raise ContractError("commitment must be 64 lowercase hex characters")
        error = data.get("error")
        if error is not None and not isinstance(error, str):
            error = json.dumps(error, sort_keys=True)  # a provider's error object, as text
        card_brand = data.get("card_brand") or ""
        card_last4 = data.get("card_last4") or ""
        if not isinstance(card_brand, str) or len(card_brand) > MAX_CARD_BRAND_LENGTH:
            raise ContractError(f"card_brand must be a string of at most {MAX_CARD_BRAND_LENGTH}")
        if not isinstance(card_last4, str) or not _LAST4.fullmatch(card_last4):
            raise ContractError("card_last4 must be four digits")
        return cls(
            payment_id=_positive_int(data, "payment_id"),
            pledge_id=_positive_int(data, "pledge_id"),
            campaign_id=_positive_int(data, "campaign_id"),
            amount=_positive_int(data, "amount", maximum=MAX_AMOUNT),
            currency=_currency(data),
            error=(error or "")[:MAX_ERROR_LENGTH],
            card_brand=card_brand,
            card_last4=card_last4,
            commitment=commitment,
        )

    def to_payload(self) -> dict[str, Any]:
        payload = Event.to_payload(self)
        if self.EVENT_TYPE != PaymentFailed.EVENT_TYPE:
            del payload["error"]  # PAYMENT_FAILED only
        if self.EVENT_TYPE != PaymentCaptured.EVENT_TYPE:
            del payload["card_brand"], payload["card_last4"]  # PAYMENT_CAPTURED only
        if self.EVENT_TYPE != PaymentCaptured.EVENT_TYPE or not self.commitment:
            del payload["commitment"]
        return payload

    @property
    def aggregate_id(self) -> int:
        return self.payment_id


@dataclass(frozen=True, slots=True)
class PaymentAuthorized(PaymentReported):
    EVENT_TYPE: ClassVar[str] = "PAYMENT_AUTHORIZED"
    PLEDGE_STATUS: ClassVar[str] = "AUTHORIZED"


@dataclass(frozen=True, slots=True)
class PaymentCaptured(PaymentReported):
    EVENT_TYPE: ClassVar[str] = "PAYMENT_CAPTURED"
    PLEDGE_STATUS: ClassVar[str] = "CAPTURED"


@dataclass(frozen=True, slots=True)
class PaymentFailed(PaymentReported):
    EVENT_TYPE: ClassVar[str] = "PAYMENT_FAILED"
    PLEDGE_STATUS: ClassVar[str] = "FAILED"


@dataclass(frozen=True, slots=True)
class RefundReported(Event):
    """``PAYMENT_REFUNDED`` or ``PAYMENT_REFUND_FAILED``: one payload shape, one refund each."""

    AGGREGATE_TYPE: ClassVar[str] = "payment"

    payment_id: int
    pledge_id: int
    campaign_id: int
    refund_id: int
    amount: int
    refunded_total: int
    currency: str

    @classmethod
    def parse(cls, payload: Any) -> Self:
        data = _mapping(payload, "payload")
        total = data.get("refunded_total")
        if isinstance(total, bool) or not isinstance(total, int) or not 0 <= total <= MAX_AMOUNT:
            raise ContractError(f"refunded_total must be a whole number of at most {MAX_AMOUNT}")
        event = cls(
            payment_id=_positive_int(data, "payment_id"),
            pledge_id=_positive_int(data, "pledge_id"),
            campaign_id=_positive_int(data, "campaign_id"),
            refund_id=_positive_int(data, "refund_id"),
            amount=_positive_int(data, "amount", maximum=MAX_AMOUNT),
            refunded_total=total,
            currency=_currency(data),
        )
        event.check()
        return event

    def check(self) -> None:
        """Raise ``ContractError`` when the totals cannot be this event's."""

    @property
    def aggregate_id(self) -> int:
        return self.payment_id


@dataclass(frozen=True, slots=True)
class PaymentRefunded(RefundReported):
    """One refund of a captured payment, made here or at the provider (a lost dispute too).

    ``amount`` is this refund's; ``refunded_total`` what the payment has had back with it, so
    that a consumer can keep a per-payment total that only grows, whatever the order.
    """

    EVENT_TYPE: ClassVar[str] = "PAYMENT_REFUNDED"

    def check(self) -> None:
        if self.refunded_total < self.amount:
            raise ContractError("refunded_total must include the refund's amount")


@dataclass(frozen=True, slots=True)
class PaymentRefundFailed(RefundReported):
    """A refund the provider reported succeeded, then failed: the money stayed with the charity.

    ``refunded_total`` is what the payment has had back without it. Published after the
    refund's ``PAYMENT_REFUNDED`` (the same payment: the outbox keeps their order), at most once
    per refund. Only a partial refund is un-counted: a payment refunded in full stays REFUNDED
    (SPEC §5.3) and its failed refund is left to staff (docs/payments.md).
    """

    EVENT_TYPE: ClassVar[str] = "PAYMENT_REFUND_FAILED"


@dataclass(frozen=True, slots=True)
class CaptureLogged(Event):
    """A captured payment's entry in its campaign's transparency log (campaign → payment)."""

    EVENT_TYPE: ClassVar[str] = "CAPTURE_LOGGED"
    AGGREGATE_TYPE: ClassVar[str] = "payment"

    payment_id: int
    campaign_id: int
    index: int

    @classmethod
    def parse(cls, payload: Any) -> Self:
        data = _mapping(payload, "payload")
        index = data.get("index")
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise ContractError("index must be a whole number")
        return cls(
            payment_id=_positive_int(data, "payment_id"),
            campaign_id=_positive_int(data, "campaign_id"),
            index=index,
        )

    @property
    def aggregate_id(self) -> int:
        return self.payment_id
