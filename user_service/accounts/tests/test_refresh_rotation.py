"""Refresh tokens rotate and can be signed out (SPEC §3): each is good once."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from careforall_common.testing.concurrency import race

PASSWORD = "correct-horse-battery-staple"


def tokens(client: Any) -> dict[str, Any]:
    User.objects.get_or_create(email="ada@example.org", defaults={"name": "Ada"})
    user = User.objects.get(email="ada@example.org")
    user.set_password(PASSWORD)
    user.save()
    response = client.post(
        "/api/auth/token", {"email": "ada@example.org", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def refresh(client: Any, token: str) -> Any:
    return client.post("/api/auth/token/refresh", {"refresh": token}, format="json")


@pytest.mark.django_db
def test_a_refresh_token_rotates_and_a_used_one_is_401(api_client: Any) -> None:
    first = tokens(api_client)["refresh"]

    rotated = refresh(api_client, first)
    reused = refresh(api_client, first)
    again = refresh(api_client, rotated.json()["refresh"])

    assert rotated.status_code == 200
    assert set(rotated.json()) == {"access", "refresh"}
    assert rotated.json()["refresh"] != first
    assert reused.status_code == 401
    assert reused["Content-Type"] == "application/problem+json"
    assert again.status_code == 200


@pytest.mark.django_db
def test_a_signed_out_refresh_token_is_401(api_client: Any) -> None:
    token = tokens(api_client)["refresh"]

    logout = api_client.post("/api/auth/logout", {"refresh": token}, format="json")
    after = refresh(api_client, token)
    garbage = api_client.post("/api/auth/logout", {"refresh": "not-a-token"}, format="json")
    invalid_body = api_client.post("/api/auth/logout", {"refresh": 7}, format="json")

    assert logout.status_code == 204
    assert after.status_code == 401
    assert garbage.status_code == 401
    assert invalid_body.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_uses_of_one_refresh_token_get_one_new_pair() -> None:
    token = tokens(APIClient())["refresh"]

    statuses = race([lambda: refresh(APIClient(), token).status_code for _ in range(4)])

    assert sorted(statuses) == [200, 401, 401, 401]
