"""The statements of a delivered batch (issue 24): a fixed few, whatever its size and campaigns.

Each is counted on the tables it touches, so the test client's savepoints and the session's
own statements do not blur the figure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import Campaign, PaymentEvent, PledgeProjection
from campaigns.tests.factories import campaign_make, payment_event, pledge_created, status_changed
from careforall_common.inbox.models import ProcessedEvent

pytestmark = pytest.mark.django_db

Deliver = Callable[..., list[str]]
TABLES = (
    ProcessedEvent._meta.db_table,
    Campaign._meta.db_table,
    PledgeProjection._meta.db_table,
    PaymentEvent._meta.db_table,
)


def statements(deliver: Deliver, *events: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Deliver ``events``; return their results and the statements on the pipeline's tables."""
    with CaptureQueriesContext(connection) as captured:
        results = deliver(*events)
    return results, [
        query["sql"].split(" (", 1)[0][:60]
        for query in captured.captured_queries
        if any(table in query["sql"] for table in TABLES)
    ]


def test_a_batch_of_new_pledges_over_many_campaigns_is_five_statements(deliver: Deliver) -> None:
    campaigns = [campaign_make() for _ in range(5)]
    events = [
        pledge_created(campaigns[n % 5], pledge_id=100 + n, amount=100 + n) for n in range(30)
    ]

    results, sql = statements(deliver, *events)

    assert results == ["processed"] * 30
    # The ids recorded, the campaigns locked, the pledges looked for, inserted, the totals moved.
    assert len(sql) == 5, sql
    for index, campaign in enumerate(campaigns):
        stored = Campaign.objects.get(pk=campaign.pk)
        amounts = [100 + n for n in range(30) if n % 5 == index]
        assert (stored.pending_amount, stored.total_pledges) == (sum(amounts), 6)


def test_statuses_and_captures_are_seven_statements(deliver: Deliver, settings: Any) -> None:
    settings.TRANSPARENCY_LOG = False  # the log's own statements are counted by its tests
    campaigns = [campaign_make() for _ in range(3)]
    deliver(*(pledge_created(campaigns[n % 3], pledge_id=200 + n) for n in range(12)))
    moved = [
        status_changed(campaigns[n % 3], pledge_id=200 + n, new_status="CAPTURED")
        for n in range(12)
    ]
    captured = [
        payment_event("PAYMENT_CAPTURED", campaigns[n % 3], payment_id=900 + n, pledge_id=200 + n)
        for n in range(12)
    ]

    results, sql = statements(deliver, *moved, *captured)

    assert results == ["processed"] * 24
    # Ids; campaigns; pledges; payments on record; pledges updated; audit rows; totals.
    assert len(sql) == 7, sql
    for campaign in campaigns:
        stored = Campaign.objects.get(pk=campaign.pk)
        assert (stored.pending_amount, stored.captured_amount) == (0, 4_000)
        assert (stored.total_pledges, stored.total_payments) == (4, 4)
    assert set(PledgeProjection.objects.values_list("status", flat=True)) == {"CAPTURED"}
    assert PledgeProjection.objects.get(pk=200).donor_name == "Ada Lovelace"  # kept


def test_a_batch_delivered_again_is_one_statement_and_changes_nothing(deliver: Deliver) -> None:
    campaign = campaign_make()
    events = [pledge_created(campaign, pledge_id=300 + n) for n in range(10)]
    deliver(*events)

    results, sql = statements(deliver, *events)

    assert results == ["duplicate"] * 10
    assert len(sql) == 1, sql  # the ids, all on record: nothing else is read or written
    stored = Campaign.objects.get(pk=campaign.pk)
    assert (stored.pending_amount, stored.total_pledges) == (10_000, 10)


def test_an_id_twice_in_one_batch_is_applied_once(deliver: Deliver) -> None:
    campaign = campaign_make()
    event = pledge_created(campaign, pledge_id=400)

    assert deliver(event, event) == ["processed", "duplicate"]
    stored = Campaign.objects.get(pk=campaign.pk)
    assert (stored.pending_amount, stored.total_pledges) == (1_000, 1)


def test_a_rejected_event_is_not_recorded_and_its_neighbours_are(deliver: Deliver) -> None:
    campaign = campaign_make()
    unknown = pledge_created(999_999, pledge_id=501)
    good = pledge_created(campaign, pledge_id=502)

    assert deliver(unknown, good) == ["rejected", "processed"]
    recorded = {str(e) for e in ProcessedEvent.objects.values_list("event_id", flat=True)}
    assert recorded == {good["event_id"]}
    assert deliver(unknown) == ["rejected"]  # judged again, never a duplicate
