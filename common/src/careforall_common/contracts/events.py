"""The platform's event contracts (SPEC §4): one typed definition of the envelope and of each event.

Producers build an event and publish it (``outbox_publish``); consumers and reconciliation parse
what arrives with the same class. ``parse`` checks every field and raises ``ContractError`` for
anything that breaks the contract: a consumer rejects such an event (the publisher parks it as a
dead letter) instead of retrying it forever. ``to_payload`` is the inverse of ``parse``.

Contracts only grow: a field is added as optional, and an event that changes its meaning gets a
new ``event_version``, so a consumer that runs an older release keeps accepting what it knows.
"""

from __future__ import annotations

import json
import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

from careforall_common.contracts.money import MAX_AMOUNT, currency_valid
from careforall_common.contracts.statuses import CAMPAIGN_FACT_STATUSES, PledgeStatus
from careforall_common.timestamps import timestamp

MAX_DONOR_NAME_LENGTH = 255
MAX_ERROR_LENGTH = 2_000
MAX_CARD_BRAND_LENGTH = 32

PLEDGE_STATUSES: tuple[str, ...] = tuple(PledgeStatus.values)

_LAST4 = re.compile(r"([0-9]{4})?")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{0,128}")
_COMMITMENT = re.compile(r"([0-9a-f]{64})?")
_TRACEPARENT = re.compile(r"[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")


class ContractError(ValueError):
    """An envelope or payload that breaks its contract: never applicable, so never retried."""


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ContractError(f"{what} must be a JSON object")
    return value


def _positive_int(data: Mapping[str, Any], key: str, *, maximum: int | None = None) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ContractError(f"{key} must be a positive integer")
    if maximum is not None and value > maximum:
        raise ContractError(f"{key} must be at most {maximum}")
    return value


def _optional_positive_int(data: Mapping[str, Any], key: str) -> int | None:
    return None if data.get(key) is None else _positive_int(data, key)


def _string(data: Mapping[str, Any], key: str, *, max_length: int) -> str:
    value = data.get(key)
    if not isinstance(value, str) or len(value) > max_length:
        raise ContractError(f"{key} must be a string of at most {max_length} characters")
    return value


def _boolean(data: Mapping[str, Any], key: str) -> bool:
    value = data.get(key)
    if not isinstance(value, bool):
        raise ContractError(f"{key} must be true or false")
    return value


def _choice(data: Mapping[str, Any], key: str, choices: tuple[str, ...]) -> str:
    value = data.get(key)
    if value not in choices:
        raise ContractError(f"{key} must be one of {', '.join(choices)}")
    return str(value)


def _currency(data: Mapping[str, Any]) -> str:
    value = data.get("currency")
    if not currency_valid(value):
        raise ContractError("currency must be a lowercase ISO-4217 code")
    return str(value)


def timestamp_parse(value: Any) -> datetime | None:
    """Return ``value`` as an aware datetime, or None when it is not an ISO-8601 timestamp."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


@dataclass(frozen=True, slots=True)
class Envelope:
    """What travels from an outbox to a consumer; ``payload`` is checked by the event's class."""

    event_id: str
    event_type: str
    event_version: int
    occurred_at: datetime
    source: str
    aggregate_id: int
    request_id: str
    payload: Mapping[str, Any]
    traceparent: str | None = None

    @classmethod
    def parse(cls, data: Any) -> Envelope:
        data = _mapping(data, "an event")
        try:
            event_id = str(uuid.UUID(str(data.get("event_id"))))
        except ValueError:
            raise ContractError("event_id must be a UUID") from None
        occurred_at = timestamp_parse(data.get("occurred_at"))
        if occurred_at is None:
            raise ContractError("occurred_at must be an ISO-8601 timestamp")
        request_id = data.get("request_id") or ""
        if not isinstance(request_id, str) or not _REQUEST_ID.fullmatch(request_id):
            request_id = ""  # a request id is for logs only: a strange one is dropped, not fatal
        traceparent = data.get("traceparent")
        if not isinstance(traceparent, str) or not _TRACEPARENT.fullmatch(traceparent):
            traceparent = None
        version = data.get("event_version", 1)
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ContractError("event_version must be a positive integer")
        return cls(
            event_id=event_id,
            event_type=_string(data, "event_type", max_length=64),
            event_version=version,
            occurred_at=occurred_at,
            source=_string(data, "source", max_length=32),
            aggregate_id=_positive_int(data, "aggregate_id"),
            request_id=request_id,
            payload=_mapping(data.get("payload"), "payload"),
            traceparent=traceparent,
        )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "event_version": self.event_version,
            "occurred_at": timestamp(self.occurred_at),
            "source": self.source,
            "aggregate_id": self.aggregate_id,
            "request_id": self.request_id,
            "payload": dict(self.payload),
        }
        if self.traceparent:
            data["traceparent"] = self.traceparent
        return data


class Event(ABC):
    """The payload of one event type; subclasses are frozen dataclasses."""

    EVENT_TYPE: ClassVar[str]
    AGGREGATE_TYPE: ClassVar[str]

    @classmethod
    @abstractmethod
    def parse(cls, payload: Any) -> Self:
        """The event of ``payload``; ``ContractError`` when it breaks the contract."""

    def to_payload(self) -> dict[str, Any]:
        """Every field, as JSON takes it (an event whose fields need more says so itself)."""
        return {field.name: getattr(self, field.name) for field in fields(self)}  # type: ignore[arg-type]

    @property
    @abstractmethod
    def aggregate_id(self) -> int:
        """The id of the thing the event is about (its order is kept per aggregate)."""


@dataclass(frozen=True, slots=True)
class PledgeCreated(Event):
    EVENT_TYPE: ClassVar[str] = "PLEDGE_CREATED"
    AGGREGATE_TYPE: ClassVar[str] = "pledge"

    pledge_id: int
    campaign_id: int
    user_id: int | None
    donor_name: str
    anonymous: bool
    amount: int
    currency: str
    status: str
    created_at: datetime | None = None  # added after version 1: older events lack it

    @classmethod
    def parse(cls, payload: Any) -> Self:
        data = _mapping(payload, "payload")
        created_at = timestamp_parse(data.get("created_at"))
        if data.get("created_at") is not None and created_at is None:
            raise ContractError("created_at must be an ISO-8601 timestamp")
        return cls(
            pledge_id=_positive_int(data, "pledge_id"),
            campaign_id=_positive_int(data, "campaign_id"),
            user_id=_optional_positive_int(data, "user_id"),
            donor_name=_string(data, "donor_name", max_length=MAX_DONOR_NAME_LENGTH),
            anonymous=_boolean(data, "anonymous"),
            amount=_positive_int(data, "amount", maximum=MAX_AMOUNT),
            currency=_currency(data),
            status=_choice(data, "status", PLEDGE_STATUSES),
            created_at=created_at,
        )

    def to_payload(self) -> dict[str, Any]:
        payload = Event.to_payload(self)
        payload["created_at"] = timestamp(self.created_at) if self.created_at else None
        return payload

    @property
    def aggregate_id(self) -> int:
        return self.pledge_id


@dataclass(frozen=True, slots=True)
class PledgeStatusChanged(Event):
    EVENT_TYPE: ClassVar[str] = "PLEDGE_STATUS_CHANGED"
    AGGREGATE_TYPE: ClassVar[str] = "pledge"

    pledge_id: int
    campaign_id: int
    previous_status: str
    new_status: str
    amount: int
    currency: str

    @classmethod
    def parse(cls, payload: Any) -> Self:
        data = _mapping(payload, "payload")
        return cls(
            pledge_id=_positive_int(data, "pledge_id"),
            campaign_id=_positive_int(data, "campaign_id"),
            previous_status=_choice(data, "previous_status", PLEDGE_STATUSES),
            new_status=_choice(data, "new_status", PLEDGE_STATUSES),
            amount=_positive_int(data, "amount", maximum=MAX_AMOUNT),
            currency=_currency(data),
        )

    @property
    def aggregate_id(self) -> int:
        return self.pledge_id


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
class CampaignChanged(Event):
    EVENT_TYPE: ClassVar[str] = "CAMPAIGN_CHANGED"
    AGGREGATE_TYPE: ClassVar[str] = "campaign"

    campaign_id: int
    status: str
    currency: str
    goal_amount: int

    @classmethod
    def parse(cls, payload: Any) -> Self:
        data = _mapping(payload, "payload")
        return cls(
            campaign_id=_positive_int(data, "campaign_id"),
            status=_choice(data, "status", CAMPAIGN_FACT_STATUSES),
            currency=_currency(data),
            goal_amount=_positive_int(data, "goal_amount", maximum=MAX_AMOUNT),
        )

    @property
    def aggregate_id(self) -> int:
        return self.campaign_id


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

    @classmethod
    def parse(cls, payload: Any) -> Self:
        data = _mapping(payload, "payload")
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


EVENT_TYPES: dict[str, type[Event]] = {
    cls.EVENT_TYPE: cls
    for cls in (
        PledgeCreated,
        PledgeStatusChanged,
        PaymentAuthorized,
        PaymentCaptured,
        PaymentFailed,
        PaymentRefunded,
        PaymentRefundFailed,
        CampaignChanged,
        PlanChanged,
        InstallmentDue,
        PlanCardChanged,
        CaptureLogged,
    )
}


def event_parse(envelope: Envelope) -> Event:
    """Return the typed event of ``envelope``; ``ContractError`` for an unknown type or payload."""
    cls = EVENT_TYPES.get(envelope.event_type)
    if cls is None:
        raise ContractError(f"{envelope.event_type} is not an event type of the platform")
    return cls.parse(envelope.payload)
