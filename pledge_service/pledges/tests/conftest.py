from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from rest_framework.test import APIClient

from careforall_common import signing
from careforall_common.keys import generate_pem_pair
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
    settings.CAREFORALL = {
        **settings.CAREFORALL,
        "SERVICE_URLS": {**settings.CAREFORALL["SERVICE_URLS"], "campaign": CLOSED_PORT_URL},
    }
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


class FakeCampaignService:
    """campaign_service's ``GET /internal/campaigns/{id}``, as its contract states it.

    Refuses unsigned calls like the real one; records the paths it was asked for.
    """

    def __init__(self, secret: str) -> None:
        self.campaigns: dict[int, dict[str, Any]] = {}
        self.asked: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.asked.append(self.path)
                signed = signing.verify(
                    self.headers.get(signing.HEADER), self.path.encode(), secret=secret
                )
                campaign_id = self.path.rsplit("/", 1)[-1]
                campaign = fake.campaigns.get(int(campaign_id)) if campaign_id.isdigit() else None
                status = 403 if not signed else 200 if campaign else 404
                body = json.dumps(campaign if status == 200 else {"status": status}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def add(self, campaign_id: int, status: str = "active", currency: str = "usd") -> None:
        self.campaigns[campaign_id] = {
            "campaign_id": campaign_id,
            "status": status,
            "currency": currency,
            "goal_amount": 500_000,
        }


@pytest.fixture
def campaign_service(settings: Any) -> Iterator[FakeCampaignService]:
    fake = FakeCampaignService(settings.CAREFORALL["INTERNAL_EVENT_SECRET"])
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    settings.CAREFORALL = {
        **settings.CAREFORALL,
        "SERVICE_URLS": {**settings.CAREFORALL["SERVICE_URLS"], "campaign": fake.url},
    }
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
