"""Every call the donor emails make to campaign_service: the campaign's title at send time.

campaign_service has no internal read that carries the title (its ``GET /internal/campaigns/{id}``
holds the facts of ``CAMPAIGN_CHANGED`` only), so this reads its public ``GET /api/campaigns/{id}``,
directly rather than through the gateway, with the shared internal client (pooled, traced, a
timeout; the signature is ignored by a public view).
"""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings

from careforall_common.internal import internal_get


class CampaignUnavailable(Exception):
    """campaign_service did not say the campaign's title: the notice is sent later."""


def campaign_title(*, campaign_id: int) -> str:
    """The campaign's title (timeout ``NOTICE_CAMPAIGN_TIMEOUT``).

    A campaign campaign_service does not show (deleted, no longer public) is named by its id:
    the email still goes. Raises ``CampaignUnavailable`` for anything else but a title.
    """
    try:
        response = internal_get(
            "campaign", f"/api/campaigns/{campaign_id}", timeout=settings.NOTICE_CAMPAIGN_TIMEOUT
        )
    except requests.RequestException as error:
        raise CampaignUnavailable(f"campaign_service unreachable: {error}") from error
    if response.status_code == 404:
        return f"Campaign #{campaign_id}"
    if response.status_code != 200:
        raise CampaignUnavailable(f"campaign_service answered {response.status_code}")
    try:
        answer: Any = response.json()
        return str(answer["title"])
    except (ValueError, KeyError, TypeError) as error:
        raise CampaignUnavailable("campaign_service answered without a title") from error
