"""Every call pledges make to campaign_service, signed through the shared internal client."""

from __future__ import annotations

import logging
from typing import Any

import requests
from django.conf import settings

from careforall_common.contracts.events import ContractError
from careforall_common.contracts.internal import CampaignFactsRead
from careforall_common.contracts.statuses import CampaignStatus
from careforall_common.internal import internal_get

logger = logging.getLogger(__name__)


class CampaignServiceUnavailable(Exception):
    """campaign_service did not answer, or answered something that is not its contract."""


def campaign_facts_read(*, campaign_id: int) -> CampaignFactsRead | None:
    """Ask campaign_service for a campaign's facts (``GET /internal/campaigns/{id}``).

    Returns None when it knows no such campaign (404). Raises ``CampaignServiceUnavailable``
    when it is unreachable, refuses the signature, fails, or answers out of contract.
    Timeout ``CAMPAIGN_FACTS_TIMEOUT``; never call inside a transaction.
    """
    try:
        response = internal_get(
            "campaign",
            f"/internal/campaigns/{campaign_id}",
            timeout=settings.CAMPAIGN_FACTS_TIMEOUT,
        )
    except requests.RequestException as error:
        logger.warning("campaign facts: campaign_service unreachable: %s", error)
        raise CampaignServiceUnavailable(str(error)) from error
    if response.status_code == 404:
        return None
    facts = _facts(response, campaign_id) if response.status_code == 200 else None
    if facts is None:
        logger.warning(
            "campaign facts: campaign_service answered %s: %s",
            response.status_code,
            response.text[:200],
        )
        raise CampaignServiceUnavailable(f"campaign_service answered {response.status_code}")
    return facts


def _facts(response: requests.Response, campaign_id: int) -> CampaignFactsRead | None:
    """The answer, if it is a live campaign's facts (a deleted campaign is a 404)."""
    try:
        answer: Any = response.json()
        facts = CampaignFactsRead.parse(answer)
    except (ValueError, ContractError):
        return None
    if facts.campaign_id != campaign_id or facts.status not in CampaignStatus.values:
        return None
    return facts
