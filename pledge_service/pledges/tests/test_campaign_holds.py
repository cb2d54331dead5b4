"""Campaign holds (SPEC §3): deletion and currency change decided on this service's pledges."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from careforall_common import signing
from careforall_common.testing.concurrency import race
from pledges.campaign_facts import campaign_facts_cache_clear
from pledges.models import CampaignFacts, CampaignHold, Pledge
from pledges.tests.factories import (
    SIGNED_IN_BODY,
    campaign_changed,
    pledge_post,
    sign,
    signed_get,
    written,
)


def signed_post(client: Any, path: str, body: dict[str, Any]) -> Any:
    raw = json.dumps(body).encode()
    return client.post(
        path, raw, content_type="application/json", headers={signing.HEADER: sign(raw)}
    )


def hold(client: Any, campaign_id: int) -> Any:
    return signed_post(
        client, f"/internal/campaigns/{campaign_id}/hold", {"campaign_id": campaign_id}
    )


def release(client: Any, campaign_id: int, status: str, currency: str = "usd") -> Any:
    return signed_post(
        client,
        f"/internal/campaigns/{campaign_id}/release",
        {"campaign_id": campaign_id, "status": status, "currency": currency},
    )


@pytest.mark.django_db
def test_a_campaign_with_a_pledge_cannot_be_held(
    client: Any, donor_client: Any, active_campaign: int
) -> None:
    pledge_post(donor_client, SIGNED_IN_BODY)

    refused = hold(client, active_campaign)
    after = pledge_post(donor_client, SIGNED_IN_BODY, key="key-2")

    assert refused.status_code == 409
    assert refused["Content-Type"] == "application/problem+json"
    assert after.status_code == 201  # the hold was lifted at once


@pytest.mark.django_db
def test_a_held_campaign_takes_no_pledge_and_a_deleted_one_never_again(
    client: Any, donor_client: Any, active_campaign: int
) -> None:
    assert hold(client, active_campaign).json() == {"campaign_id": 7, "held": True}
    before = written()

    held = pledge_post(donor_client, SIGNED_IN_BODY)
    released = release(client, active_campaign, "deleted")
    still_held = pledge_post(donor_client, SIGNED_IN_BODY, key="key-2")  # facts in memory
    campaign_facts_cache_clear()  # as each process's memory copy expires
    gone = pledge_post(donor_client, SIGNED_IN_BODY, key="key-3")

    assert held.status_code == 409
    assert held["Content-Type"] == "application/problem+json"
    assert written() == before
    assert released.status_code == 204
    assert still_held.status_code == 409
    assert gone.status_code == 404
    assert CampaignHold.objects.get(campaign_id=7).until is None
    assert CampaignFacts.objects.get(campaign_id=7).status == "deleted"


@pytest.mark.django_db
def test_a_currency_change_is_in_force_once_released(
    client: Any, donor_client: Any, active_campaign: int, settings: Any
) -> None:
    settings.CAMPAIGN_FACTS_CACHE_SECONDS = 0
    hold(client, active_campaign)

    release(client, active_campaign, "active", currency="eur")
    campaign_facts_cache_clear()
    response = pledge_post(donor_client, {**SIGNED_IN_BODY, "currency": "eur"})

    assert response.status_code == 201
    assert response.json()["currency"] == "eur"


@pytest.mark.django_db
def test_holds_and_releases_are_signed_and_bound_to_their_campaign(
    client: Any, active_campaign: int
) -> None:
    unsigned = client.post(
        "/internal/campaigns/7/hold", {"campaign_id": 7}, content_type="application/json"
    )
    other = signed_post(client, "/internal/campaigns/7/hold", {"campaign_id": 8})
    replayed = signed_post(client, "/internal/campaigns/7/release", {"campaign_id": 7})

    assert unsigned.status_code == 403
    assert other.status_code == 400
    assert replayed.status_code == 400
    assert not CampaignHold.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_hold_racing_pledges_never_misses_one(
    make_token: Any, active_campaign: int, settings: Any
) -> None:
    """Either the hold sees a pledge or the pledge is refused: never both allowed."""
    settings.CAMPAIGN_FACTS_CACHE_SECONDS = 60  # facts from memory: no pledge waits on a read
    for round_ in range(5):
        campaign_id = 100 + round_
        campaign_changed(APIClient(), campaign_id=campaign_id)

        def pledge(n: int, campaign_id: int = campaign_id) -> int:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(user_id=2)}")
            body = {"campaign_id": campaign_id, "amount": 100}
            return int(pledge_post(client, body, key=f"r{campaign_id}-{n}").status_code)

        def held(campaign_id: int = campaign_id) -> int:
            return int(hold(APIClient(), campaign_id).status_code)

        calls = [lambda n=n: pledge(n) for n in range(6)]
        results = race([*calls, held])

        pledged = Pledge.objects.filter(campaign_id=campaign_id).count()
        assert pledged == results[:-1].count(201)
        assert (results[-1] == 200) == (pledged == 0), results


@pytest.mark.django_db
def test_reconciliation_lists_every_campaign_with_pledges(
    client: Any, donor_client: Any, active_campaign: int
) -> None:
    pledge_post(donor_client, SIGNED_IN_BODY)
    pledge_post(donor_client, SIGNED_IN_BODY, key="key-2")

    response = signed_get(client, "/internal/pledges/campaigns")

    assert response.json() == {"campaign_ids": [7]}


@pytest.mark.django_db
def test_a_pledge_of_a_campaign_that_is_gone_cannot_be_paid(
    client: Any, donor_client: Any, active_campaign: int
) -> None:
    """A pledge made before deletions were decided here: payment_service's read is refused."""
    pledge_id = pledge_post(donor_client, SIGNED_IN_BODY).json()["id"]
    assert signed_get(client, f"/internal/pledges/{pledge_id}").status_code == 200

    campaign_changed(client, campaign_id=active_campaign, status="deleted")
    gone = signed_get(client, f"/internal/pledges/{pledge_id}")

    assert gone.status_code == 404
    assert gone["Content-Type"] == "application/problem+json"
