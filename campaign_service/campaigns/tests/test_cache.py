"""The rendered public reads in a real memcached (campaigns/cache.py, SPEC §5.8).

The gateway serves these entries byte for byte, so each test reads what a guest would be sent.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client as DjangoClient
from pymemcache.client.base import Client

from campaigns import cache, services
from campaigns.models import Campaign
from campaigns.outputs import campaign_output
from campaigns.tests.factories import campaign_make, plan_changed, pledge_created, status_changed
from careforall_common.contracts.statuses import CampaignStatus

pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def memcached_server() -> Iterator[str]:
    binary = shutil.which("memcached") or "/usr/bin/memcached"
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603
        [binary, "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-m", "16", "-u", "root"]
    )
    address = f"127.0.0.1:{port}"
    for _ in range(100):
        try:
            Client(("127.0.0.1", port)).version()
            break
        except OSError:
            time.sleep(0.05)
    yield address
    process.terminate()
    process.wait(timeout=5)


@pytest.fixture
def memcached(memcached_server: str, settings: Any) -> Iterator[Client]:
    settings.CAMPAIGN_CACHE_URL = memcached_server
    cache._client, cache._failed_at = None, 0.0
    host, _, port = memcached_server.rpartition(":")
    client = Client((host, int(port)))
    client.flush_all()
    yield client
    cache._client = None


def served(client: Client, key: str) -> Any:
    import json

    raw = client.get(key)
    return None if raw is None else json.loads(raw)


def test_a_guest_miss_is_filled_with_the_exact_body(memcached: Client, client: Any) -> None:
    campaign = campaign_make()
    memcached.delete(f"cfa:campaign:{campaign.pk}")

    response = client.get(f"/api/campaigns/{campaign.pk}")

    assert memcached.get(f"cfa:campaign:{campaign.pk}") == response.content


def test_totals_are_rendered_under_the_lock_by_the_projector(
    memcached: Client, deliver: Callable[..., list[str]]
) -> None:
    campaign = campaign_make()

    deliver(pledge_created(campaign, pledge_id=1, amount=700))
    deliver(status_changed(campaign, pledge_id=1, amount=700, new_status="CAPTURED"))

    body = served(memcached, f"cfa:campaign:{campaign.pk}")
    assert (body["captured_amount"], body["pending_amount"], body["total_pledges"]) == (700, 0, 1)


def test_a_fill_never_replaces_a_newer_entry(memcached: Client, client: Any) -> None:
    campaign = campaign_make()
    memcached.set(f"cfa:campaign:{campaign.pk}", b'{"newer": true}')

    client.get(f"/api/campaigns/{campaign.pk}")

    assert memcached.get(f"cfa:campaign:{campaign.pk}") == b'{"newer": true}'


def test_drafts_and_signed_in_reads_are_never_cached(
    memcached: Client, client: Any, staff_client: Any
) -> None:
    draft = campaign_make(status=CampaignStatus.DRAFT)
    active = campaign_make()
    memcached.delete(f"cfa:campaign:{active.pk}")

    assert staff_client.get(f"/api/campaigns/{draft.pk}").status_code == 200
    staff_client.get(f"/api/campaigns/{active.pk}")
    client.get(f"/api/campaigns/{draft.pk}")

    assert memcached.get(f"cfa:campaign:{draft.pk}") is None
    assert memcached.get(f"cfa:campaign:{active.pk}") is None


def test_an_edit_renders_the_entry_and_a_delete_removes_it(
    memcached: Client, staff_client: Any
) -> None:
    campaign = campaign_make()

    staff_client.patch(f"/api/campaigns/{campaign.pk}", {"title": "Wells"}, format="json")
    assert served(memcached, f"cfa:campaign:{campaign.pk}")["title"] == "Wells"

    staff_client.patch(f"/api/campaigns/{campaign.pk}", {"status": "closed"}, format="json")
    assert served(memcached, f"cfa:campaign:{campaign.pk}")["status"] == "closed"


def test_list_pages_are_filled_for_their_queries_and_forgotten_on_a_change(
    memcached: Client, client: Any, deliver: Callable[..., list[str]], settings: Any
) -> None:
    # Pages live 1 s by default: longer here, so a slow machine cannot expire one mid-test and
    # pass the "forgotten" check for the wrong reason (or fail the "filled" one).
    settings.CAMPAIGN_LIST_CACHE_SECONDS = 60
    campaign = campaign_make()
    key = "cfa:campaigns:testserver:status=active&page_size=20"

    response = client.get("/api/campaigns?status=active&page_size=20")
    client.get("/api/campaigns?status=active&cursor=abc")  # another page: never cached

    assert memcached.get(key) == response.content
    deliver(pledge_created(campaign, pledge_id=5, amount=100))
    assert memcached.get(key) is None


def test_the_cache_being_down_costs_nothing_but_speed(settings: Any, client: Any) -> None:
    settings.CAMPAIGN_CACHE_URL = f"127.0.0.1:{_free_port()}"  # nobody listens there
    cache._client, cache._failed_at = None, 0.0
    campaign = campaign_make()

    assert client.get(f"/api/campaigns/{campaign.pk}").status_code == 200
    assert cache._memcached() is None  # paused after the failure, not retried per request
    cache._client, cache._failed_at = None, 0.0


def test_list_keys_follow_the_gateway_pattern() -> None:
    assert cache.list_key(host="localhost:8080", query="status=active&page_size=20")
    assert cache.list_key(host="localhost:8080", query="")
    assert cache.list_key(host="localhost:8080", query="status=active&cursor=x") is None
    assert cache.list_key(host="localhost:8080", query="page_size=20&status=active") is None


def _guest_read_elsewhere(path: str) -> int:
    """A guest's GET on another thread, so on another database connection: it sees only what
    is committed, as a second gateway request does."""
    answer: list[int] = []

    def read() -> None:
        try:
            answer.append(DjangoClient().get(path).status_code)
        finally:
            connection.close()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join(timeout=30)
    return answer[0]


@pytest.mark.usefixtures("pledge_holds")
def test_a_fill_between_a_delete_and_its_commit_does_not_bring_the_campaign_back(
    memcached: Client,
) -> None:
    # Audit finding 6: the admin deletes inside Django's own transaction, so the entry is
    # removed before the commit; a guest's miss in that moment still reads the committed row.
    campaign = campaign_make()
    key = f"cfa:campaign:{campaign.pk}"

    with transaction.atomic():
        services.campaign_delete(campaign_id=campaign.pk)
        assert memcached.get(key) is None
        assert _guest_read_elsewhere(f"/api/campaigns/{campaign.pk}") == 200  # the fill

    assert memcached.get(key) is None
    assert DjangoClient().get(f"/api/campaigns/{campaign.pk}").status_code == 404


def _fill_read(campaign: Campaign) -> tuple[bytes | None, Campaign, bytes]:
    """The first half of a guest's miss: the generation, then the row and its body."""
    generation = cache.campaign_generation(campaign.pk)
    row = Campaign.objects.get(pk=campaign.pk)
    return generation, row, cache.render(campaign_output(row))


@pytest.mark.usefixtures("pledge_holds")
def test_a_fill_that_read_before_a_delete_does_not_stand_after_it(memcached: Client) -> None:
    campaign = campaign_make()
    generation, row, body = _fill_read(campaign)

    services.campaign_delete(campaign_id=campaign.pk)  # committed before the fill's add
    cache.campaign_fill(row, body, generation=generation)

    assert memcached.get(f"cfa:campaign:{campaign.pk}") is None


def test_a_fill_older_than_an_edit_does_not_stand_even_when_the_edit_entry_is_gone(
    memcached: Client,
) -> None:
    campaign = campaign_make()
    generation, row, body = _fill_read(campaign)
    services.campaign_update(campaign_id=campaign.pk, title="Wells")
    memcached.delete(f"cfa:campaign:{campaign.pk}")  # evicted, say

    cache.campaign_fill(row, body, generation=generation)

    assert memcached.get(f"cfa:campaign:{campaign.pk}") is None


def test_a_fill_with_no_write_meanwhile_stands(memcached: Client) -> None:
    campaign = campaign_make()
    memcached.delete(f"cfa:campaign:{campaign.pk}")
    generation, row, body = _fill_read(campaign)

    cache.campaign_fill(row, body, generation=generation)

    assert memcached.get(f"cfa:campaign:{campaign.pk}") == body


def test_the_cached_body_carries_the_plans_figures(
    memcached: Client, deliver: Callable[..., list[str]]
) -> None:
    campaign = campaign_make()

    deliver(plan_changed(campaign, plan_id=1, amount=2_400, interval="year"))

    body = served(memcached, f"cfa:campaign:{campaign.pk}")
    assert (body["active_plans"], body["monthly_recurring_amount"]) == (1, 200)
