"""Guests' campaign reads come from the gateway's cache, never stale, never someone else's.

The gateway answers ``GET /api/campaigns/{id}`` and the first list page from memcached, which
campaign_service writes (campaigns/cache.py): these tests pause campaign_service to tell a cached
answer from the service's, and check that what is cached follows every change at once.
"""

from __future__ import annotations

import contextlib
import signal
import uuid
from collections.abc import Iterator

import pytest
import requests

from integration.support import (
    Donor,
    bearer,
    create_campaign,
    get_campaign,
    local_platform,
    make_pledge,
    service_processes,
    signal_processes,
    wait_until,
)


@contextlib.contextmanager
def campaign_service_paused(platform: object) -> Iterator[None]:
    pids = service_processes(local_platform(platform), "web-campaign")
    signal_processes(pids, signal.SIGSTOP)
    try:
        yield
    finally:
        signal_processes(pids, signal.SIGCONT)


def test_a_guest_read_is_served_by_the_gateway_with_the_service_paused(
    platform: object, gateway: str, staff_token: str
) -> None:
    campaign_id = int(str(create_campaign(gateway, staff_token)["id"]))
    from_service = requests.get(f"{gateway}/api/campaigns/{campaign_id}", timeout=10)

    with campaign_service_paused(platform):
        cached = requests.get(f"{gateway}/api/campaigns/{campaign_id}", timeout=3)

    assert cached.status_code == 200
    assert cached.content == from_service.content  # byte for byte what the service answers
    assert cached.headers["X-Request-Id"]
    for header in (
        "Content-Type",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "X-Frame-Options",
        "Cross-Origin-Opener-Policy",
    ):
        assert cached.headers.get(header) == from_service.headers.get(header), header


def test_the_first_list_page_is_served_by_the_gateway_with_the_service_paused(
    platform: object, gateway: str, staff_token: str
) -> None:
    campaign_id = int(str(create_campaign(gateway, staff_token)["id"]))
    page = f"{gateway}/api/campaigns?status=active&page_size=20"
    served = []
    for _ in range(5):  # a page lives 1 s at most: fill it, then read it at once
        requests.get(page, timeout=10)
        with campaign_service_paused(platform), contextlib.suppress(requests.Timeout):
            served.append(requests.get(page, timeout=0.5))
        if served:
            break

    assert served, "the list page was never answered while campaign_service was paused"
    assert served[0].status_code == 200
    assert campaign_id in [c["id"] for c in served[0].json()["results"]]


def test_a_pledge_and_an_edit_show_at_once_in_the_cached_reads(
    gateway: str, staff_token: str, donor: Donor
) -> None:
    campaign_id = int(str(create_campaign(gateway, staff_token)["id"]))
    page = f"{gateway}/api/campaigns?status=active&page_size=100"
    get_campaign(gateway, campaign_id)
    requests.get(page, timeout=10)

    assert make_pledge(gateway, campaign_id, 1234, token=donor.access).status_code == 201
    waited = wait_until(lambda: get_campaign(gateway, campaign_id)["pending_amount"] == 1234)
    assert waited < 1.0

    title = f"Renamed {uuid.uuid4().hex[:6]}"
    changed = requests.patch(
        f"{gateway}/api/campaigns/{campaign_id}",
        json={"title": title},
        headers=bearer(staff_token),
        timeout=10,
    )
    assert changed.status_code == 200
    assert get_campaign(gateway, campaign_id)["title"] == title  # the very next read
    listed = {c["id"]: c for c in requests.get(page, timeout=10).json()["results"]}
    assert (listed[campaign_id]["title"], listed[campaign_id]["pending_amount"]) == (title, 1234)


def test_credentials_always_reach_the_service(
    platform: object, gateway: str, staff_token: str
) -> None:
    campaign_id = int(str(create_campaign(gateway, staff_token)["id"]))
    draft_id = int(str(create_campaign(gateway, staff_token, status="draft")["id"]))
    get_campaign(gateway, campaign_id)  # cached for guests now

    forged = requests.get(
        f"{gateway}/api/campaigns/{campaign_id}", headers=bearer("not-a-token"), timeout=10
    )
    assert forged.status_code == 401  # an invalid token is never treated as a guest
    staff = requests.get(
        f"{gateway}/api/campaigns/{draft_id}", headers=bearer(staff_token), timeout=10
    )
    assert staff.status_code == 200
    guest = requests.get(f"{gateway}/api/campaigns/{draft_id}", timeout=10)
    assert guest.status_code == 404  # a draft is never in the cache for guests
    with campaign_service_paused(platform), pytest.raises(requests.exceptions.ReadTimeout):
        # Signed in: waits for the paused service instead of getting the guests' answer.
        requests.get(
            f"{gateway}/api/campaigns/{campaign_id}", headers=bearer(staff_token), timeout=2
        )
