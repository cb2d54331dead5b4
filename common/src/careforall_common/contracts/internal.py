"""The answers of the signed internal reads between services (SPEC §4), one definition each.

The answering view builds its body with ``to_dict()``; the calling client checks what arrives
with ``parse()``, which raises ``ContractError`` for anything else (the client then treats the
peer as unavailable rather than trusting a malformed answer).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Self

from careforall_common.contracts.events import CampaignChanged, ContractError, PlanChanged
from careforall_common.contracts.events.base import (
    _mapping,
    _optional_positive_int,
    _positive_int,
)
from careforall_common.contracts.money import MAX_AMOUNT, currency_valid
from careforall_common.contracts.statuses import PledgeStatus

_HASH = re.compile(r"[0-9a-f]{64}")
MAX_EMAIL_LENGTH = 254

# ``GET /internal/campaigns/{id}`` of campaign_service answers with the payload of
# ``CAMPAIGN_CHANGED`` for the campaign as it is now: one contract for the copy and the read.
CampaignFactsRead = CampaignChanged


@dataclass(frozen=True, slots=True)
class PledgeFactsRead:
    """``GET /internal/pledges/{id}`` of pledge_service: what a payment is made against."""

    pledge_id: int
    campaign_id: int
    user_id: int | None
    amount: int
    currency: str
    status: str
    receipt_token_hash: str | None
    # A guest's email (the card-testing limit per guest email counts payment attempts); "" for
    # an account's pledge, and in answers of earlier releases.
    donor_email: str = ""

    @classmethod
    def parse(cls, data: Any) -> Self:
        data = _mapping(data, "a pledge")
        donor_email = data.get("donor_email") or ""
        if not isinstance(donor_email, str) or len(donor_email) > MAX_EMAIL_LENGTH:
            raise ContractError(f"donor_email must be a string of at most {MAX_EMAIL_LENGTH}")
        currency = data.get("currency")
        if not currency_valid(currency):
            raise ContractError("currency must be a lowercase ISO-4217 code")
        status = data.get("status")
        if status not in PledgeStatus.values:
            raise ContractError(f"status must be one of {', '.join(PledgeStatus.values)}")
        token_hash = data.get("receipt_token_hash")
        if token_hash is not None and not (
            isinstance(token_hash, str) and _HASH.fullmatch(token_hash)
        ):
            raise ContractError("receipt_token_hash must be a SHA-256 hex digest or null")
        return cls(
            pledge_id=_positive_int(data, "pledge_id"),
            campaign_id=_positive_int(data, "campaign_id"),
            user_id=_optional_positive_int(data, "user_id"),
            amount=_positive_int(data, "amount", maximum=MAX_AMOUNT),
            currency=str(currency),
            status=str(status),
            receipt_token_hash=token_hash,
            donor_email=donor_email,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class OutboxStatusRead:
    """``GET /internal/outbox``: rows waiting and dead letters, per destination."""

    destinations: Mapping[str, Mapping[str, int]]

    @classmethod
    def parse(cls, data: Any) -> Self:
        destinations = _mapping(
            _mapping(data, "an outbox status").get("destinations"), "destinations"
        )
        parsed: dict[str, dict[str, int]] = {}
        for destination, counts in destinations.items():
            counts = _mapping(counts, f"destinations.{destination}")
            parsed[str(destination)] = {key: _count(counts, key) for key in ("pending", "dead")}
        return cls(destinations=parsed)

    def to_dict(self) -> dict[str, Any]:
        return {"destinations": {name: dict(counts) for name, counts in self.destinations.items()}}


@dataclass(frozen=True, slots=True)
class DonorEmailsRead:
    """``POST /internal/pledges/donors``: the donor email of each pledge asked for."""

    emails: Mapping[int, str]

    @classmethod
    def parse(cls, data: Any) -> Self:
        results = _mapping(data, "donor emails").get("results")
        if not isinstance(results, list):
            raise ContractError("results must be a list")
        emails: dict[int, str] = {}
        for item in results:
            item = _mapping(item, "a result")
            email = item.get("donor_email")
            if not isinstance(email, str):
                raise ContractError("donor_email must be a string")
            emails[_positive_int(item, "pledge_id")] = email
        return cls(emails=emails)

    def to_dict(self) -> dict[str, Any]:
        return {
            "results": [
                {"pledge_id": pledge_id, "donor_email": email}
                for pledge_id, email in sorted(self.emails.items())
            ]
        }


def _count(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ContractError(f"{key} must be a count")
    return value


@dataclass(frozen=True, slots=True)
class PlansPageRead:
    """``GET /internal/plans?campaign_id=&after=`` of pledge_service: plans in id order, a page.

    Each result is a plan as ``PLAN_CHANGED`` states it; ``next_after`` is the ``after`` of the
    next page, or None on the last.
    """

    results: tuple[PlanChanged, ...]
    next_after: int | None

    @classmethod
    def parse(cls, data: Any) -> Self:
        data = _mapping(data, "a page of plans")
        results = data.get("results")
        if not isinstance(results, list):
            raise ContractError("results must be a list")
        next_after = data.get("next_after")
        if next_after is not None:
            next_after = _positive_int(data, "next_after")
        return cls(
            results=tuple(PlanChanged.parse(item) for item in results), next_after=next_after
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "results": [plan.to_payload() for plan in self.results],
            "next_after": self.next_after,
        }


@dataclass(frozen=True, slots=True)
class PaymentTransparencyRead:
    """``GET /internal/payments/{id}/transparency`` of payment_service: a captured payment's
    commitment and salt, and its index in its campaign's log (None until logged)."""

    payment_id: int
    campaign_id: int
    commitment: str
    salt: str
    index: int | None

    @classmethod
    def parse(cls, data: Any) -> Self:
        data = _mapping(data, "a payment's log entry")
        for key in ("commitment", "salt"):
            value = data.get(key)
            if not (isinstance(value, str) and _HASH.fullmatch(value)):
                raise ContractError(f"{key} must be 64 lowercase hex characters")
        index = data.get("index")
        if index is not None and (
            isinstance(index, bool) or not isinstance(index, int) or index < 0
        ):
            raise ContractError("index must be a whole number or null")
        return cls(
            payment_id=_positive_int(data, "payment_id"),
            campaign_id=_positive_int(data, "campaign_id"),
            commitment=str(data["commitment"]),
            salt=str(data["salt"]),
            index=index,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
