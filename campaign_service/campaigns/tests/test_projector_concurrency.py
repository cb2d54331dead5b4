"""Events of one campaign applied at the same moment by two consumers end exact (SPEC §5.2)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from campaigns.models import Campaign, PledgeProjection
from campaigns.tests.factories import campaign_make, pledge_created, status_changed
from careforall_common.inbox.apis import apply_event

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(*batches: list[dict[str, Any]]) -> list[str]:
    """Apply each batch in its own thread (its own connection), all starting at once."""
    barrier = threading.Barrier(len(batches))
    outcomes: list[str] = []

    def consume(batch: list[dict[str, Any]]) -> None:
        try:
            barrier.wait()
            outcomes.extend(apply_event(event)["status"] for event in batch)
        finally:
            connection.close()

    threads = [threading.Thread(target=consume, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def amounts(campaign: Campaign) -> tuple[int, ...]:
    stored = Campaign.objects.get(pk=campaign.pk)
    return (
        stored.pending_amount,
        stored.authorized_amount,
        stored.captured_amount,
        stored.failed_amount,
        stored.total_pledges,
    )


def test_creations_and_captures_of_the_same_pledges_at_once() -> None:
    campaign = campaign_make()
    pledge_ids = range(1, 41)
    created = [pledge_created(campaign, pledge_id=n, amount=n * 100) for n in pledge_ids]
    captured = [
        status_changed(campaign, pledge_id=n, amount=n * 100, new_status="CAPTURED")
        for n in reversed(pledge_ids)
    ]

    outcomes = run_together(created, captured)

    assert outcomes == ["processed"] * 80
    assert amounts(campaign) == (0, 0, sum(n * 100 for n in pledge_ids), 0, 40)
    assert set(PledgeProjection.objects.values_list("status", flat=True)) == {"CAPTURED"}


def test_different_pledges_of_one_campaign_at_once() -> None:
    campaign = campaign_make()

    def make(n: int, status: str) -> list[dict[str, Any]]:
        return [
            pledge_created(campaign, pledge_id=n, amount=n),
            status_changed(campaign, pledge_id=n, amount=n, new_status=status),
        ]

    failing = [event for n in range(1, 31) for event in make(n, "FAILED")]
    authorizing = [event for n in range(31, 61) for event in make(n, "AUTHORIZED")]

    outcomes = run_together(failing, authorizing, failing)  # the third redelivers the first

    assert outcomes.count("processed") == 120
    assert outcomes.count("duplicate") == 60
    assert amounts(campaign) == (0, sum(range(31, 61)), 0, sum(range(1, 31)), 60)
