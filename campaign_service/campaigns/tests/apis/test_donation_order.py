"""Donations are newest first by when the pledge was made (SPEC §3), not by pledge id.

Under concurrent pledges the ids and the times disagree: a pledge stamped earlier can commit, and
take its id, later. The wall follows ``occurred_at``; pages follow it too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from campaigns.tests.factories import campaign_make, pledge_created

pytestmark = pytest.mark.django_db


def test_donations_are_newest_first_by_occurred_at_across_pages(
    api_client: Any, deliver: Callable[..., list[str]]
) -> None:
    campaign = campaign_make()
    made = {  # pledge id → when it was made: 12 was made last, 13 before 11
        11: "2025-03-01T10:00:00.300000Z",
        12: "2025-03-01T10:00:00.900000Z",
        13: "2025-03-01T10:00:00.100000Z",
        14: "2025-03-01T10:00:00.500000Z",
        15: "2025-03-01T10:00:00.500000Z",  # the same moment as 14: the higher id first
    }
    deliver(
        *(
            pledge_created(campaign, pledge_id=pledge_id, amount=100, created_at=at)
            for pledge_id, at in made.items()
        )
    )

    seen: list[int] = []
    url: str | None = f"/api/campaigns/{campaign.pk}/donations?page_size=2"
    while url:
        page = api_client.get(url).json()
        seen += [donation["pledge_id"] for donation in page["results"]]
        url = page["next"]

    assert seen == [12, 15, 14, 11, 13]
