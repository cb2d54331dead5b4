"""The envelope, the event base class and the checks every payload shares."""

from __future__ import annotations

import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

from careforall_common.contracts.money import currency_valid
from careforall_common.contracts.statuses import PledgeStatus
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
