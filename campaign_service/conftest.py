"""Fixtures every app of campaign_service shares in its tests (campaigns, reconciliation,
dashboard): signed event delivery, the admin signed in, a token signed with a foreign key."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from careforall_common import signing
from careforall_common.keys import generate_pem_pair


def internal_signature(message: bytes, **options: Any) -> str:
    """Sign ``message`` as another service of the platform does."""
    return signing.sign(message, secret=settings.CAREFORALL["INTERNAL_EVENT_SECRET"], **options)


@pytest.fixture
def deliver(client: Any) -> Callable[..., list[str]]:
    """Return a function that POSTs events signed to /internal/events; returns each outcome."""

    def post(*events: dict[str, Any]) -> list[str]:
        body = json.dumps({"events": list(events)}).encode()
        response = client.post(
            "/internal/events",
            body,
            content_type="application/json",
            HTTP_X_CAREFORALL_SIGNATURE=internal_signature(body),
        )
        assert response.status_code == 200, response.content  # noqa: S101  (a test helper)
        return [result["status"] for result in response.json()["results"]]

    return post


@pytest.fixture
def admin_client(client: Any) -> Any:
    # A local superuser stands in for the shadow user a platform sign-in makes.
    user = get_user_model().objects.create_superuser("staff@example.org", "staff@example.org")
    client.force_login(user)
    return client


@pytest.fixture
def forged_staff_client(make_token: Callable[..., str]) -> Any:
    """A client whose staff token is signed with a key the platform does not know."""
    other_private, _ = generate_pem_pair()
    client = APIClient()
    token = make_token(user_id=1, role="staff", private_key=other_private)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client
