"""The campaign title read at send time."""

from __future__ import annotations

from typing import Any

import pytest

from careforall_common.testing.peers import FakePeer, point_at
from notices.clients.campaigns import CampaignUnavailable, campaign_title
from pledges.tests.factories import CLOSED_PORT_URL


def test_the_title(campaigns: FakePeer) -> None:
    assert campaign_title(campaign_id=7) == "Flood relief in Sylhet"
    assert campaigns.asked == ["/api/campaigns/7"]


def test_a_campaign_no_longer_shown_is_named_by_its_id(campaigns: FakePeer) -> None:
    assert campaign_title(campaign_id=8) == "Campaign #8"


def test_no_title_is_unavailable(campaigns: FakePeer, settings: Any) -> None:
    campaigns.items[7] = {"id": 7}
    with pytest.raises(CampaignUnavailable, match="without a title"):
        campaign_title(campaign_id=7)

    campaigns.failing = 503
    with pytest.raises(CampaignUnavailable, match="answered 503"):
        campaign_title(campaign_id=7)

    point_at(settings, "campaign", CLOSED_PORT_URL)
    with pytest.raises(CampaignUnavailable, match="unreachable"):
        campaign_title(campaign_id=7)
