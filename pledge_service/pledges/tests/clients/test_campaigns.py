"""The signed facts read from campaign_service: its contract, or "unavailable"."""

from __future__ import annotations

from typing import Any

import pytest

from pledges.clients.campaigns import CampaignServiceUnavailable, campaign_facts_read
from pledges.tests.conftest import FakeCampaignService


def test_the_facts_of_a_campaign(campaign_service: FakeCampaignService) -> None:
    campaign_service.add(9, status="draft", currency="gbp")

    facts = campaign_facts_read(campaign_id=9)

    assert facts is not None
    assert (facts.campaign_id, facts.status, facts.currency) == (9, "draft", "gbp")
    assert campaign_service.asked == ["/internal/campaigns/9"]


def test_a_campaign_campaign_service_does_not_know_is_none(
    campaign_service: FakeCampaignService,
) -> None:
    assert campaign_facts_read(campaign_id=9) is None


@pytest.mark.parametrize(
    "answer",
    [
        {"campaign_id": 8, "status": "active", "currency": "usd", "goal_amount": 500},  # another
        {"campaign_id": 9, "status": "deleted", "currency": "usd", "goal_amount": 500},  # not live
        {"campaign_id": 9, "status": "active", "currency": "USD", "goal_amount": 500},
        {"campaign_id": 9, "status": "active"},
        ["not", "an", "object"],
    ],
)
def test_an_answer_out_of_contract_is_unavailable(
    campaign_service: FakeCampaignService, answer: Any
) -> None:
    campaign_service.items[9] = answer

    with pytest.raises(CampaignServiceUnavailable):
        campaign_facts_read(campaign_id=9)


def test_a_failing_or_unreachable_campaign_service_is_unavailable(
    campaign_service: FakeCampaignService, settings: Any
) -> None:
    campaign_service.failing = 503
    with pytest.raises(CampaignServiceUnavailable):
        campaign_facts_read(campaign_id=9)

    settings.CAREFORALL = {**settings.CAREFORALL, "INTERNAL_EVENT_SECRET": "another secret"}
    campaign_service.failing = None
    campaign_service.add(9)
    with pytest.raises(CampaignServiceUnavailable):  # its signature refused: 403
        campaign_facts_read(campaign_id=9)
