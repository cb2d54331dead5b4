"""``POST /internal/pledges/donors``: donor emails for campaign_service's staff export only."""

from __future__ import annotations

import json
from typing import Any

import pytest

from careforall_common import signing
from pledges.models import Pledge
from pledges.tests.factories import GUEST_BODY, SIGNED_IN_BODY, pledge_post, sign

pytestmark = pytest.mark.django_db

PATH = "/internal/pledges/donors"


def signed_post(client: Any, body: dict[str, Any], *, secret: str | None = None) -> Any:
    raw = json.dumps(body).encode()
    return client.post(
        PATH,
        raw,
        content_type="application/json",
        headers={signing.HEADER: sign(raw, secret=secret)},
    )


def test_the_emails_of_the_pledges_asked_for(
    client: Any, donor_client: Any, guest_client: Any, active_campaign: int
) -> None:
    donor = pledge_post(donor_client, SIGNED_IN_BODY, key="a").json()["id"]
    guest = pledge_post(guest_client, GUEST_BODY, key="b").json()["id"]
    pledge_post(guest_client, {**GUEST_BODY, "donor_email": "other@example.org"}, key="c")

    response = signed_post(client, {"pledge_ids": [guest, donor, 999_999]})

    assert response.status_code == 200
    emails = dict(Pledge.objects.values_list("pk", "donor_email"))
    assert emails[guest].lower() == "rahim@example.org"
    assert emails[donor]
    assert response.json() == {
        "results": [
            {"pledge_id": donor, "donor_email": emails[donor]},
            {"pledge_id": guest, "donor_email": emails[guest]},
        ]
    }


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"pledge_ids": "1,2"},
        {"pledge_ids": [0]},
        {"pledge_ids": ["1"]},
        {"pledge_ids": [1], "x": 1},
    ],
)
def test_a_malformed_request_is_refused(client: Any, body: dict[str, Any]) -> None:
    assert signed_post(client, body).status_code == 400


def test_more_than_a_thousand_ids_are_refused(client: Any) -> None:
    assert signed_post(client, {"pledge_ids": list(range(1, 1_002))}).status_code == 400


def test_unsigned_or_wrongly_signed_calls_are_refused(client: Any) -> None:
    unsigned = client.post(PATH, {"pledge_ids": [1]}, content_type="application/json")
    wrong = signed_post(client, {"pledge_ids": [1]}, secret="not-the-secret")

    assert unsigned.status_code == 403
    assert wrong.status_code == 403
