"""Events of pledges (pledge_service) and of campaigns' facts (campaign_service)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Self

from careforall_common.contracts.events.base import (
    MAX_DONOR_NAME_LENGTH,
    PLEDGE_STATUSES,
    ContractError,
    Event,
    _boolean,
    _choice,
    _currency,
    _mapping,
    _optional_positive_int,
    _positive_int,
    _string,
    timestamp_parse,
)
from careforall_common.contracts.money import MAX_AMOUNT
from careforall_common.contracts.statuses import CAMPAIGN_FACT_STATUSES
from careforall_common.timestamps import timestamp


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
