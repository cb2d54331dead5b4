"""The local copy of campaign facts (SPEC §4, docs/pledges.md): kept by events, asked on a miss."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from careforall_common.problems import Problem
from pledges.campaign_facts import campaign_facts_get
from pledges.models import CampaignFacts
from pledges.tests.factories import (
    CLOSED_PORT_URL,
    SIGNED_IN_BODY,
    campaign_changed,
    envelope,
    pledge_post,
    post_events,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def facts() -> list[tuple[int, str, str]]:
    return list(CampaignFacts.objects.values_list("campaign_id", "status", "currency"))


def make_stale(campaign_id: int) -> None:
    CampaignFacts.objects.filter(campaign_id=campaign_id).update(
        refreshed_at=timezone.now() - timedelta(minutes=5)
    )


def test_campaign_changed_stores_the_facts(client: Any) -> None:
    result = campaign_changed(
        client, campaign_id=7, status="active", currency="eur", occurred_at=T0
    )

    assert result == "processed"
    stored = CampaignFacts.objects.get()
    assert (stored.campaign_id, stored.status, stored.currency) == (7, "active", "eur")
    assert stored.refreshed_at == T0


def test_the_newest_event_wins_whatever_the_order_of_arrival(client: Any) -> None:
    campaign_changed(client, campaign_id=7, status="closed", occurred_at=T0 + timedelta(seconds=2))
    campaign_changed(client, campaign_id=7, status="active", occurred_at=T0 + timedelta(seconds=1))
    campaign_changed(client, campaign_id=8, status="draft", occurred_at=T0)
    campaign_changed(client, campaign_id=8, status="active", occurred_at=T0 + timedelta(seconds=1))

    assert sorted(facts()) == [(7, "closed", "usd"), (8, "active", "usd")]


@pytest.mark.parametrize(
    "payload",
    [
        {"campaign_id": 7, "status": "archived", "currency": "usd"},
        {"campaign_id": 7, "status": "active", "currency": "USD"},
        {"campaign_id": "7", "status": "active", "currency": "usd"},
        {"status": "active", "currency": "usd"},
    ],
)
def test_a_malformed_campaign_event_is_rejected(client: Any, payload: dict[str, Any]) -> None:
    event = envelope("CAMPAIGN_CHANGED", payload, aggregate_id=7)

    assert post_events(client, [event])[event["event_id"]] == "rejected"
    assert facts() == []


def test_a_miss_asks_campaign_service_and_keeps_the_answer(campaign_service: Any) -> None:
    campaign_service.add(9, currency="gbp")

    found = campaign_facts_get(campaign_id=9)

    assert found is not None
    assert (found.status, found.currency) == ("active", "gbp")
    assert facts() == [(9, "active", "gbp")]
    assert campaign_service.asked == ["/internal/campaigns/9"]


def test_fresh_facts_are_served_from_memory_without_a_query(
    client: Any, django_assert_num_queries: Any
) -> None:
    campaign_changed(client, campaign_id=7)
    with django_assert_num_queries(1):
        campaign_facts_get(campaign_id=7)

    with django_assert_num_queries(0):
        found = campaign_facts_get(campaign_id=7)

    assert found is not None
    assert found.status == "active"


def test_memory_is_read_again_after_its_few_seconds(client: Any, settings: Any) -> None:
    settings.CAMPAIGN_FACTS_CACHE_SECONDS = 0
    campaign_changed(client, campaign_id=7)
    campaign_facts_get(campaign_id=7)
    CampaignFacts.objects.update(status="closed")  # another process applied the close

    found = campaign_facts_get(campaign_id=7)

    assert found is not None
    assert found.status == "closed"


def test_stale_active_facts_are_confirmed_with_campaign_service(
    client: Any, campaign_service: Any
) -> None:
    campaign_changed(client, campaign_id=7)
    make_stale(7)
    campaign_service.add(7, status="closed")

    found = campaign_facts_get(campaign_id=7)

    assert found is not None
    assert found.status == "closed"
    assert facts() == [(7, "closed", "usd")]
    assert campaign_service.asked == ["/internal/campaigns/7"]


def test_a_draft_is_asked_about_since_it_may_have_just_opened(
    client: Any, donor_client: Any, campaign_service: Any
) -> None:
    campaign_changed(client, campaign_id=7, status="draft")
    campaign_service.add(7, status="active")

    response = pledge_post(donor_client, SIGNED_IN_BODY)

    assert response.status_code == 201
    assert facts() == [(7, "active", "usd")]


def test_a_closed_campaign_is_never_asked_about_again(
    client: Any, donor_client: Any, campaign_service: Any
) -> None:
    campaign_changed(client, campaign_id=7, status="closed")
    make_stale(7)

    response = pledge_post(donor_client, SIGNED_IN_BODY)

    assert response.status_code == 409
    assert campaign_service.asked == []


def test_known_facts_serve_while_campaign_service_is_unreachable(
    client: Any, donor_client: Any, settings: Any
) -> None:
    campaign_changed(client, campaign_id=7)
    make_stale(7)

    response = pledge_post(donor_client, SIGNED_IN_BODY)

    assert settings.CAREFORALL["SERVICE_URLS"]["campaign"] == CLOSED_PORT_URL
    assert response.status_code == 201


def test_a_campaign_campaign_service_no_longer_knows_is_marked_deleted(
    client: Any, donor_client: Any, campaign_service: Any
) -> None:
    campaign_changed(client, campaign_id=7)
    make_stale(7)

    first = pledge_post(donor_client, SIGNED_IN_BODY, key="a")
    second = pledge_post(donor_client, SIGNED_IN_BODY, key="b")

    assert (first.status_code, second.status_code) == (404, 404)
    assert facts() == [(7, "deleted", "usd")]
    assert campaign_service.asked == ["/internal/campaigns/7"]  # final: not asked again


def test_a_deleted_campaign_s_event_makes_pledges_404_for_good(
    client: Any, donor_client: Any, campaign_service: Any
) -> None:
    campaign_changed(client, campaign_id=7, occurred_at=T0)
    campaign_changed(client, campaign_id=7, status="deleted", occurred_at=T0 + timedelta(seconds=2))
    campaign_changed(client, campaign_id=7, status="active", occurred_at=T0 + timedelta(seconds=1))

    response = pledge_post(donor_client, SIGNED_IN_BODY)

    assert response.status_code == 404
    assert facts() == [(7, "deleted", "usd")]
    assert campaign_service.asked == []


def test_an_unsigned_or_odd_answer_counts_as_unreachable(
    campaign_service: Any, settings: Any
) -> None:
    settings.CAREFORALL = {**settings.CAREFORALL, "INTERNAL_EVENT_SECRET": "another secret"}
    campaign_service.add(9)

    with pytest.raises(Problem, match="Campaign details are unavailable"):
        campaign_facts_get(campaign_id=9)

    assert facts() == []


@pytest.mark.django_db(transaction=True)
def test_a_miss_whose_answer_cannot_be_stored_this_moment_still_answers(
    campaign_service: Any,
) -> None:
    """Concurrent first pledges to a new campaign all store the same answer; one that meets
    another's lock (here an uncommitted insert of the row, and a 1 s lock wait) uses the answer
    it has instead of failing the pledge."""
    import MySQLdb
    from django.db import connection

    campaign_service.add(9, currency="gbp")
    params = connection.settings_dict
    other = MySQLdb.connect(
        host=params["HOST"] or "127.0.0.1",
        port=int(params["PORT"] or 3306),
        user=params["USER"],
        password=params["PASSWORD"],
        database=params["NAME"],
    )
    try:
        other.cursor().execute(
            "INSERT INTO pledges_campaignfacts (campaign_id, status, currency, refreshed_at) "
            "VALUES (9, 'active', 'gbp', '2000-01-01')"
        )  # not committed: holds the row's lock
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION innodb_lock_wait_timeout = 1")

        found = campaign_facts_get(campaign_id=9)

        assert found is not None
        assert (found.status, found.currency) == ("active", "gbp")
    finally:
        other.rollback()
        other.close()
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION innodb_lock_wait_timeout = DEFAULT")
