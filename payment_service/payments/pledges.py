"""The pledge a payment is for, read from pledge_service with a signed internal GET (SPEC §4).

No local copy: a payment needs the pledge's status now (PENDING or not) and is made once per
pledge, so the read is one short call per payment attempt, never a hot path.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings

from careforall_common.internal import internal_get
from careforall_common.problems import Problem

logger = logging.getLogger(__name__)

PENDING = "PENDING"
_CURRENCY = re.compile(r"[a-z]{3}")
_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class PledgeFacts:
    """``GET /internal/pledges/{id}`` of pledge_service."""

    pledge_id: int
    campaign_id: int
    user_id: int | None
    amount: int
    currency: str
    status: str
    receipt_token_hash: str | None


def pledge_facts_get(*, pledge_id: int) -> PledgeFacts | None:
    """Return the pledge, or None when pledge_service knows no such pledge.

    Raises a 503 ``Problem`` when pledge_service does not answer, or not with a pledge.
    Makes an HTTP call: never inside a transaction.
    """
    unavailable = Problem(503, "Pledge details are unavailable; try again shortly.")
    try:
        response = internal_get(
            "pledge", f"/internal/pledges/{pledge_id}", timeout=settings.PLEDGE_SERVICE_TIMEOUT
        )
    except requests.RequestException as error:
        logger.warning("pledge facts: pledge_service unreachable: %s", error)
        raise unavailable from error
    if response.status_code == 404:
        return None
    try:
        answer = response.json() if response.status_code == 200 else None
    except ValueError:
        answer = None
    facts = _facts(answer, pledge_id)
    if facts is None:
        logger.warning(
            "pledge facts: pledge_service answered %s: %s",
            response.status_code,
            response.text[:200],
        )
        raise unavailable
    return facts


def receipt_token_matches(*, token: str | None, token_hash: str | None) -> bool:
    """Whether ``token`` is the guest's receipt token whose SHA-256 is ``token_hash``."""
    if not token or not token_hash:
        return False
    digest = hashlib.sha256(token.encode()).hexdigest()
    return hmac.compare_digest(digest, token_hash)


def _facts(answer: Any, pledge_id: int) -> PledgeFacts | None:
    if not isinstance(answer, dict) or answer.get("pledge_id") != pledge_id:
        return None
    try:
        facts = PledgeFacts(
            pledge_id=pledge_id,
            campaign_id=_positive(answer["campaign_id"]),
            user_id=None if answer["user_id"] is None else _positive(answer["user_id"]),
            amount=_positive(answer["amount"]),
            currency=str(answer["currency"]),
            status=str(answer["status"]),
            receipt_token_hash=answer["receipt_token_hash"],
        )
    except (KeyError, TypeError):
        return None
    if not _CURRENCY.fullmatch(facts.currency):
        return None
    if facts.receipt_token_hash is not None and not (
        isinstance(facts.receipt_token_hash, str) and _HASH.fullmatch(facts.receipt_token_hash)
    ):
        return None
    return facts


def _positive(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise TypeError(f"expected a positive integer, got {value!r}")
    return value
