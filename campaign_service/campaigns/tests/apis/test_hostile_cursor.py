"""A cursor whose position is no id is an invalid cursor (404 problem), never a 500 (SPEC §5.7)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from campaigns.tests.factories import campaign_make

pytestmark = pytest.mark.django_db


def cursor(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()


@pytest.mark.parametrize("raw", ["p=abc", "p=1.5", "p=", "o=1&p=x"])
@pytest.mark.parametrize("path", ["/api/campaigns", "/api/campaigns/{id}/donations"])
def test_a_cursor_with_a_foreign_position_is_a_404_problem(
    api_client: Any, raw: str, path: str
) -> None:
    campaign = campaign_make(status="active")

    response = api_client.get(path.format(id=campaign.pk), {"cursor": cursor(raw)})

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "Invalid cursor"
