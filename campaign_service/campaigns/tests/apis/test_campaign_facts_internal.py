"""GET /internal/campaigns/{id} (SPEC §4): pledge_service's signed read on a miss of its copy."""

from __future__ import annotations

import time
from typing import Any

import pytest

from campaigns.tests.factories import campaign_make
from careforall_common import signing
from conftest import internal_signature

pytestmark = pytest.mark.django_db


def signed_get(client: Any, path: str, signature: str | None = None) -> Any:
    header = internal_signature(path.encode()) if signature is None else signature
    return client.get(path, HTTP_X_CAREFORALL_SIGNATURE=header)


@pytest.mark.parametrize("status", ["draft", "active", "closed"])
def test_signed_read_answers_the_facts(client: Any, status: str) -> None:
    campaign = campaign_make(status=status, currency="eur", goal_amount=75_000)

    response = signed_get(client, f"/internal/campaigns/{campaign.pk}")

    assert response.status_code == 200
    assert response.json() == {
        "campaign_id": campaign.pk,
        "status": status,
        "currency": "eur",
        "goal_amount": 75_000,
    }


def test_unknown_campaign_is_404(client: Any) -> None:
    response = signed_get(client, "/internal/campaigns/999999")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_unsigned_wrong_stale_or_misdirected_signatures_are_403(
    client: Any, staff_client: Any
) -> None:
    campaign = campaign_make()
    path = f"/internal/campaigns/{campaign.pk}"
    stale = internal_signature(path.encode(), timestamp=int(time.time()) - 301)

    responses = [
        client.get(path),
        staff_client.get(path),  # a staff token is no signature
        signed_get(client, path, signing.sign(path.encode(), secret="not-it")),
        signed_get(client, path, stale),
        signed_get(
            client, path, internal_signature(f"/internal/campaigns/{campaign.pk + 1}".encode())
        ),
    ]

    assert [response.status_code for response in responses] == [403] * 5
    assert {response["Content-Type"] for response in responses} == {"application/problem+json"}
