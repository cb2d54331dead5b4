from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from careforall_common.contracts.internal import CampaignFactsRead
from careforall_common.keys import generate_pem_pair
from careforall_common.testing.peers import FakePeer, fake_peer, point_at
from pledges.campaign_facts import campaign_facts_cache_clear
from pledges.tests.factories import CLOSED_PORT_URL, campaign_changed

TEST_QUEUE = "pledge-tests"


@pytest.fixture(scope="session", autouse=True)
def _outbox_wake_ups_to_a_test_queue() -> Iterator[None]:
    """Send the relay wake-ups of the tests to a queue of their own, emptied afterwards.

    The wake-ups go through the real broker; a platform running on this machine keeps its queue.
    """
    import redis
    from django.conf import settings

    from config.celery import app

    app.conf.task_default_queue = TEST_QUEUE
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(TEST_QUEUE)
    yield
    client.delete(TEST_QUEUE)


@pytest.fixture(autouse=True)
def _no_campaign_service(settings: Any) -> Iterator[None]:
    """campaign_service is not running in these tests: point at a closed port, start cold."""
    point_at(settings, "campaign", CLOSED_PORT_URL)
    campaign_facts_cache_clear()
    yield
    campaign_facts_cache_clear()


@pytest.fixture
def active_campaign(client: Any) -> int:
    """Campaign 7, active, in usd, as its ``CAMPAIGN_CHANGED`` event tells."""
    campaign_changed(client, campaign_id=7, status="active", currency="usd")
    return 7


@pytest.fixture
def forged_donor_client(make_token: Callable[..., str]) -> APIClient:
    """A client whose token is signed with a key the platform does not know."""
    other_private, _ = generate_pem_pair()
    client = APIClient()
    token = make_token(user_id=2, role="donor", private_key=other_private)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


class FakeCampaignService(FakePeer):
    """campaign_service's ``GET /internal/campaigns/{id}``, signed, as its contract states it."""

    def add(self, campaign_id: int, status: str = "active", currency: str = "usd") -> None:
        self.items[campaign_id] = CampaignFactsRead(
            campaign_id=campaign_id, status=status, currency=currency, goal_amount=500_000
        ).to_payload()


@pytest.fixture
def campaign_service(settings: Any) -> Iterator[FakeCampaignService]:
    fake = FakeCampaignService(secret=settings.CAREFORALL["INTERNAL_EVENT_SECRET"])
    with fake_peer(settings, "campaign", peer=fake):
        yield fake
